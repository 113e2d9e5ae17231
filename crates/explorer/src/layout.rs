//! The frame every page shares (navigation, search, styles, script) and the error page.

use crate::api::Failure;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

/// The home page's title, and every other page's suffix.
pub const HOME_TITLE: &str = "Sinew explorer";

/// What a page may load and who may frame it: only this node's own scripts, styles and API (no
/// inline script, so injected markup could not run even if it escaped), never inside a frame
/// (the playground holds an API key).
const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// A rendered page, or why there is none.
pub type Page = Result<Response, Failure>;

/// `body` inside the shared frame, titled `title`.
pub fn page(title: &str, body: Markup) -> Response {
    frame(StatusCode::OK, title, body)
}

fn frame(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) @if title != HOME_TITLE { " · " (HOME_TITLE) } }
                link rel="stylesheet" href="/assets/explorer.css";
                link rel="icon" href="data:,";
                script src="/assets/explorer.js" defer {}
                script src="/assets/proof.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    nav aria-label="Main" {
                        a.brand href="/" { "Sinew" }
                        a href="/blocks" { "Blocks" }
                        a href="/datanets" { "Datanets" }
                        a href="/models" { "Models" }
                        a href="/agents" { "Agents" }
                        a href="/tasks" { "Tasks" }
                        a href="/playground" { "Playground" }
                    }
                    form.search action="/search" method="get" role="search" {
                        label for="q" class="sr" { "Search" }
                        input #q type="search" name="q" placeholder="Address, tx, block, datanet or model" maxlength="200";
                        button type="submit" { "Search" }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
                footer {
                    p.muted #live aria-live="polite" {}
                    p.muted {
                        "Every figure here comes from this node's public API ("
                        a href="/openapi.json" { "OpenAPI" } ")."
                    }
                }
            }
        }
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        markup.into_string(),
    )
        .into_response()
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::BAD_REQUEST => "Bad request",
            StatusCode::SERVICE_UNAVAILABLE => "Busy",
            _ => "Error",
        };
        frame(
            self.status,
            title,
            html! {
                p.error role="alert" { (self.message) }
                p.muted { "Code: " code { (self.code) } }
                p { a href="/" { "Back to the home page" } }
            },
        )
    }
}
