//! Datanets: the list, and one datanet with its rules, versions and roots, contributions with
//! their status, bonds and reviews, the models trained on it, and records with their provenance.

use super::{accounts::optional, number};
use crate::api::Api;
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

/// A cursor from a previous page.
#[derive(Deserialize)]
pub struct After {
    pub(crate) after: Option<String>,
}

/// A hex cursor the API gave (anything else is dropped, never passed on).
pub(crate) fn cursor(after: &Option<String>) -> String {
    match after {
        Some(a) if a.len() <= 512 && a.bytes().all(|b| b.is_ascii_hexdigit()) => format!("&after={a}"),
        _ => String::new(),
    }
}

/// `GET /datanets?after=`.
pub async fn list(State(api): State<Api>, Query(q): Query<After>) -> Page {
    let p: Value = api.get(&format!("/v1/datanets?limit=50{}", cursor(&q.after))).await?;
    let body = html! {
        table {
            thead { tr { th { "Datanet" } th { "Owner" } th { "License" } th.num { "Contributions" } th.num { "Approved records" } th.num { "Versions" } } }
            tbody { @for d in p["datanets"].as_array().into_iter().flatten() { tr {
                td { a href=(format!("/datanets/{}", d["id"])) { (fmt::text(&d["info"]["name"])) } }
                td { (fmt::account(&fmt::text(&d["owner"]))) }
                td { (fmt::text(&d["info"]["license"])) }
                td.num { (fmt::text(&d["contributions"])) }
                td.num { (fmt::text(&d["approved_records"])) }
                td.num { (fmt::text(&d["versions"])) }
            } } }
        }
        (next_link("/datanets", &p["next"]))
    };
    Ok(page("Datanets", body))
}

/// A "next page" link from an API cursor.
pub(crate) fn next_link(base: &str, next: &Value) -> Markup {
    html! { @if let Some(n) = next.as_str() { p { a rel="next" href=(format!("{base}?after={n}")) { "Next page →" } } } }
}

/// `?after=` (contributions) and `?contribution=` (records) of a datanet page.
#[derive(Deserialize)]
pub struct DatanetQuery {
    after: Option<String>,
    contribution: Option<u64>,
}

/// `GET /datanets/{id}`.
pub async fn show(State(api): State<Api>, Path(id): Path<String>, Query(q): Query<DatanetQuery>) -> Page {
    let id = number("datanet", &id)?;
    let view: Value = api.get(&format!("/v1/datanets/{id}")).await?;
    let contributions: Value = api
        .get(&format!("/v1/datanets/{id}/contributions?limit=50{}", cursor(&q.after)))
        .await?;
    let models: Value = api.get(&format!("/v1/datanets/{id}/models?limit=50")).await?;
    let records = match q.contribution {
        Some(c) => optional(
            api.get(&format!("/v1/datanets/{id}/records?contribution={c}&limit=50"))
                .await,
        )?,
        None => None,
    };
    let d = &view["datanet"];
    let name = fmt::text(&d["info"]["name"]);
    let body = html! {
        p { (fmt::text(&d["info"]["description"])) }
        dl.fields {
            dt { "Owner" } dd { (fmt::account(&fmt::text(&d["owner"]))) }
            dt { "License" } dd { (fmt::text(&d["info"]["license"])) }
            dt { "Tags" } dd { (fields::field("tags", &d["info"]["tags"])) }
            dt { "Open" } dd { (fields::field("open", &d["open"])) }
            dt { "Curation" } dd { (fields::render(&d["rules"])) }
            dt { "Approved" } dd { (fmt::text(&d["approved"])) " contributions, " (fmt::text(&d["approved_records"])) " records, " (fmt::text(&d["approved_bytes"])) " bytes" }
            dt { "Created at" } dd { (fields::field("height", &d["created_at"])) }
        }
        h2 { "Versions" }
        @match view["versions"].as_array() {
            Some(vs) if !vs.is_empty() => {
                table {
                    thead { tr { th.num { "Version" } th { "Root" } th.num { "Contributions" } th.num { "Records" } th.num { "Bytes" } th { "Published at" } } }
                    tbody { @for v in vs.iter().rev() { tr {
                        td.num { (fmt::text(&v["version"])) }
                        td { (fmt::hash(&fmt::text(&v["root"]))) }
                        td.num { (fmt::text(&v["contributions"])) }
                        td.num { (fmt::text(&v["records"])) }
                        td.num { (fmt::text(&v["bytes"])) }
                        td { (fields::field("height", &v["height"])) }
                    } } }
                }
            }
            _ => { p.muted { "Not published yet." } }
        }
        h2 { "Contributions" }
        table {
            thead { tr { th.num { "Seq" } th { "Contributor" } th { "Status" } th.num { "Records" } th.num { "Bond" } th { "Reviews" } th { "Near duplicates" } th { "Records" } } }
            tbody { @for c in contributions["contributions"].as_array().into_iter().flatten() { tr {
                td.num { (fmt::text(&c["seq"])) }
                td { (fmt::account(&fmt::text(&c["contributor"]))) }
                td { (fmt::text(&c["status"])) }
                td.num { (fmt::text(&c["record_count"])) }
                td.num { (fmt::amount(&c["bond"])) }
                td { (votes(&c["votes"])) }
                td.num { (fmt::text(&c["near_duplicate_count"])) }
                td { a href=(format!("/datanets/{id}?contribution={}#records", c["seq"])) { "show" } }
            } } }
        }
        (next_link(&format!("/datanets/{id}"), &contributions["next"]))
        @if let Some(r) = &records {
            h2 #records { "Records of contribution " (q.contribution.unwrap_or_default()) }
            ol.records {
                @for rec in r["records"].as_array().into_iter().flatten() {
                    li id=(format!("record-{}-{}", rec["contribution"], rec["index"])) {
                        p.muted { "record " (fmt::text(&rec["index"])) ", bytes " (fmt::text(&rec["start"])) "–" (fmt::text(&rec["end"]))
                            " of blob " (fields::field("blob", &rec["blob"])) ", hash " (fmt::hash(&fmt::text(&rec["hash"]))) }
                        pre.record { (fmt::text(&rec["text"])) }
                    }
                }
            }
        }
        h2 { "Models trained on it" }
        @match models["models"].as_array() {
            Some(ms) if !ms.is_empty() => { ul { @for m in ms { li { a href=(format!("/models/{}", m["id"])) { (fmt::text(&m["info"]["name"])) } } } } }
            _ => { p.muted { "None yet." } }
        }
    };
    Ok(page(&format!("Datanet {name}"), body))
}

fn votes(v: &Value) -> Markup {
    let list = v.as_array().cloned().unwrap_or_default();
    let yes = list.iter().filter(|x| x["approve"] == true).count();
    html! { @if list.is_empty() { span.muted { "none" } } @else { (yes) " for, " (list.len() - yes) " against" } }
}
