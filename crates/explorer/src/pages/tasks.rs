//! Agents by reputation, tasks by status, and one task with its stage, escrow, bonds and the
//! verifiers' attestations.

use super::datanets::{cursor, next_link, After};
use super::hex_id;
use crate::api::Api;
use crate::fields;
use crate::fmt;
use crate::layout::{page, Page};
use axum::extract::{Path, Query, State};
use maud::html;
use serde::Deserialize;
use serde_json::Value;
use sinew_types::api::answers::ActivityPage;

/// `GET /agents?after=`: a page of agents, best reputation first.
pub async fn agents(State(api): State<Api>, Query(q): Query<After>) -> Page {
    let p: Value = api.get(&format!("/v1/agents?limit=100{}", cursor(&q.after))).await?;
    let mut list: Vec<Value> = p["agents"].as_array().cloned().unwrap_or_default();
    list.sort_by_key(|a| std::cmp::Reverse(a["score"].as_u64().unwrap_or(0)));
    let body = html! {
        table {
            thead { tr { th { "Agent" } th { "Name" } th { "Status" } th.num { "Score" } th.num { "Completed" } th.num { "Failed" } th.num { "Challenges lost" } th.num { "Earned" } th.num { "Stake" } } }
            tbody { @for a in &list { tr {
                td { (fmt::account(&fmt::text(&a["agent"]["address"]))) }
                td { (fmt::text(&a["agent"]["name"])) }
                td { (fmt::text(&a["agent"]["status"])) }
                td.num { (fmt::text(&a["score"])) }
                td.num { (fmt::text(&a["reputation"]["completed"])) }
                td.num { (fmt::text(&a["reputation"]["failed"])) }
                td.num { (fmt::text(&a["reputation"]["challenged_lost"])) }
                td.num { (fmt::amount(&a["reputation"]["earned"])) }
                td.num { (fmt::amount(&a["agent"]["stake"])) }
            } } }
        }
        p.muted { "Sorted by score within this page." }
        (next_link("/agents", &p["next"]))
    };
    Ok(page("Agents", body))
}

/// `?status=&after=` of the task list.
#[derive(Deserialize)]
pub struct TaskQuery {
    status: Option<String>,
    after: Option<String>,
}

const STATUSES: [&str; 5] = ["open", "claimed", "submitted", "completed", "closed"];

/// `GET /tasks?status=&after=`.
pub async fn list(State(api): State<Api>, Query(q): Query<TaskQuery>) -> Page {
    let status = q.status.as_deref().filter(|s| STATUSES.contains(s));
    let filter = status.map(|s| format!("&status={s}")).unwrap_or_default();
    let p: Value = api
        .get(&format!("/v1/tasks?limit=100{filter}{}", cursor(&q.after)))
        .await?;
    let body = html! {
        nav.pager aria-label="Task status" {
            a href="/tasks" aria-current=[status.is_none().then_some("page")] { "all" }
            @for s in STATUSES { a href=(format!("/tasks?status={s}")) aria-current=[(status == Some(s)).then_some("page")] { (s) } }
        }
        table {
            thead { tr { th { "Task" } th { "Kind" } th { "Status" } th { "Poster" } th { "Claimant" } th.num { "Reward" } th.num { "Bond" } th { "Deadline" } } }
            tbody { @for t in p["tasks"].as_array().into_iter().flatten() { tr {
                td { a.mono href=(format!("/tasks/{}", fmt::text(&t["id"]))) { (fmt::short(&fmt::text(&t["id"]))) } }
                td { (fmt::text(&t["kind"])) }
                td { (fmt::text(&t["status"])) }
                td { (fmt::account(&fmt::text(&t["poster"]))) }
                td { @if t["claimant"].is_string() { (fmt::account(&fmt::text(&t["claimant"]))) } @else { span.muted { "–" } } }
                td.num { (fmt::amount(&t["reward"])) }
                td.num { (fmt::amount(&t["bond"])) }
                td { (fields::field("height", &t["deadline"])) }
            } } }
        }
        @if let Some(n) = p["next"].as_str() {
            p { a rel="next" href=(format!("/tasks?after={n}{filter}")) { "Next page →" } }
        }
    };
    Ok(page("Tasks", body))
}

/// `GET /tasks/{id}`.
pub async fn show(State(api): State<Api>, Path(id): Path<String>) -> Page {
    let id = hex_id("task id", &id)?;
    let view: Value = api.get(&format!("/v1/tasks/{id}")).await?;
    let history: ActivityPage = api.get(&format!("/v1/tasks/{id}/history?limit=200")).await?;
    let t = &view["task"];
    let status = fmt::text(&t["status"]);
    let reached = STATUSES.iter().position(|s| *s == status).unwrap_or(0);
    let body = html! {
        ol.timeline aria-label="Stages" {
            @for (i, s) in ["open", "claimed", "submitted", "completed"].iter().enumerate() {
                li.done[i <= reached && status != "closed" || i == 0] aria-current=[(*s == status).then_some("step")] { (s) }
            }
            @if status == "closed" { li.done aria-current="step" { "closed" } }
        }
        dl.fields {
            dt { "Kind" } dd { (fmt::text(&t["kind"])) }
            dt { "Escrowed reward" } dd { (fmt::amount(&t["reward"])) }
            dt { "Claimant's bond" } dd { (fmt::amount(&t["bond"])) }
            dt { "Poster" } dd { (fmt::account(&fmt::text(&t["poster"]))) }
            dt { "Claimant" } dd { (fields::field("claimant", &t["claimant"])) }
        }
        h2 { "History" }
        (timeline(&history))
        h2 { "Everything recorded" }
        (fields::render(t))
    };
    Ok(page(&format!("Task {}", fmt::short(&id)), body))
}

/// A task's events, oldest first: who did what at which block, who was paid or slashed.
fn timeline(history: &ActivityPage) -> maud::Markup {
    html! {
        @if history.events.is_empty() { p.muted { "No recorded event." } } @else {
            table {
                thead { tr { th { "Block" } th { "Transaction" } th { "What" } th { "Who" } th.num { "Amount" } th { "Status after" } } }
                tbody { @for e in history.events.iter().rev() {
                    @let v = serde_json::to_value(&e.event).unwrap_or_default();
                    @let (what, who, amount) = match fmt::text(&v["kind"]).as_str() {
                        "task_posted" => ("posted".to_string(), &v["poster"], &v["reward"]),
                        "task_updated" => (fmt::text(&v["action"]), &v["actor"], &Value::Null),
                        "task_completed" => ("completed: reward paid".to_string(), &v["agent"], &v["reward"]),
                        "slashed" => (format!("slashed: {}", fmt::text(&v["reason"])), &v["account"], &v["amount"]),
                        other => (other.replace('_', " "), &Value::Null, &Value::Null),
                    };
                    tr {
                        td { (fmt::block(e.height)) }
                        td { @if let Some(t) = e.tx_id { (fmt::tx(&t.to_string())) } @else { span.muted { "block event" } } }
                        td { (what) }
                        td { @if who.is_string() { (fmt::account(&fmt::text(who))) } }
                        td.num { @if !amount.is_null() { (fmt::amount(amount)) } }
                        td { (fmt::text(&v["status"])) }
                    }
                } }
            }
            @if history.next.is_some() { p.muted { "The latest 200 events." } }
        }
    }
}
