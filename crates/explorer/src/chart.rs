//! Bar charts drawn on the server as SVG (readable without JavaScript), with their figures in
//! text for screen readers and on hover.

use maud::{html, Markup};

/// One bar: its value and what it stands for.
pub struct Bar {
    /// Its height, in the chart's unit.
    pub value: f64,
    /// Shown on hover.
    pub label: String,
}

/// `bars` left to right, scaled to the largest; `summary` describes the whole for people who
/// cannot see it.
pub fn bars(bars: &[Bar], summary: &str) -> Markup {
    let peak = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let (w, h) = (600.0, 120.0);
    let slot = w / bars.len().max(1) as f64;
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(summary) {
                @for (i, b) in bars.iter().enumerate() {
                    @let bh = if peak > 0.0 { b.value / peak * (h - 4.0) } else { 0.0 };
                    rect x=(format!("{:.1}", i as f64 * slot + 1.0)) y=(format!("{:.1}", h - bh))
                        width=(format!("{:.1}", (slot - 2.0).max(1.0))) height=(format!("{bh:.1}")) {
                        title { (b.label) }
                    }
                }
            }
            figcaption.muted { (summary) }
        }
    }
}
