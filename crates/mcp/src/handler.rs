//! The MCP server handler: the two tool routers joined, and the resources.

use crate::resources;
use crate::server::{info, SinewMcp};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResponse, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool_handler, ErrorData as McpError, RoleServer, ServerHandler};
use std::borrow::Cow;

impl SinewMcp {
    /// Every tool: those that read and those that pay.
    pub fn tools() -> ToolRouter<SinewMcp> {
        Self::read_tools() + Self::pay_tools()
    }
}

/// The protocol versions served: those with an `initialize` handshake, whose sessions carry a
/// session's spend limits across its calls (2026-07-28 has no sessions: over HTTP every request
/// would start a fresh budget).
const VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V_2024_11_05,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
];

#[tool_handler(router = Self::tools())]
impl ServerHandler for SinewMcp {
    fn get_info(&self) -> ServerConfig {
        info()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(VERSIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        resources::list(&self.ledger).await
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        resources::read(&self.ledger, &request.uri).await.map(Into::into)
    }
}
