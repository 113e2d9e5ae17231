//! The two transports: stdio (one session, the server's process is the session) and
//! streamable HTTP at `/mcp` (one session per client, each with its own budget inside the
//! server's).

use crate::server::{Settings, SinewMcp};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::ServiceExt;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The MCP session failed to start or broke.
    #[error("MCP session: {0}")]
    Session(String),
    /// The HTTP listener failed.
    #[error("HTTP on {addr}: {source}")]
    Http {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Serves one session over stdin/stdout until the client closes it.
pub async fn serve_stdio(settings: Settings) -> Result<(), ServeError> {
    let running = SinewMcp::new(&settings)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| ServeError::Session(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| ServeError::Session(e.to_string()))?;
    Ok(())
}

/// Serves streamable HTTP at `http://{addr}/mcp` until `shutdown` resolves (open event streams
/// are closed then); `ready` receives the bound address (port 0 picks one). Requests must name
/// one of `allowed_hosts` in their `Host` header (DNS rebinding), and browsers' cross-origin
/// requests are refused.
pub async fn serve_http(
    settings: Settings,
    addr: SocketAddr,
    allowed_hosts: Vec<String>,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts)
        .enforce_origin_validation();
    let cancel = config.cancellation_token.clone();
    let service = StreamableHttpService::new(
        move || Ok(SinewMcp::new(&settings)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Http { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServeError::Http { addr, source })?;
    ready(bound);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            cancel.cancel();
        })
        .await
        .map_err(|source| ServeError::Http { addr: bound, source })
}
