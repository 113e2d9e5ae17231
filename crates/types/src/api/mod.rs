//! The HTTP API's contract, in one place: every route (method, path, query, body, answer) and
//! every answer's shape. The node serves these, the SDK reads them, and the OpenAPI document is
//! generated from them.

pub mod answers;
pub mod openai;
pub mod openapi;
pub mod queries;
pub mod requests;
pub mod routes;

pub use routes::{Method, Route};
