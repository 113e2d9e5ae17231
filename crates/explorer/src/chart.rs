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

/// Amounts at block heights, summed over equal slices of the heights they span (a chart over
/// time, in blocks).
pub struct HeightSlices {
    /// The lowest height.
    pub lo: u64,
    /// The highest height.
    pub hi: u64,
    width: u64,
    /// Per slice, oldest first: the summed amount and how many points fell in it.
    pub sums: Vec<(u128, u64)>,
}

impl HeightSlices {
    /// `points` (height, amount) in `slices` equal slices of their heights' range.
    pub fn new(points: &[(u64, u128)], slices: u64) -> HeightSlices {
        let lo = points.iter().map(|p| p.0).min().unwrap_or(0);
        let hi = points.iter().map(|p| p.0).max().unwrap_or(0);
        let width = (hi - lo) / slices.max(1) + 1;
        let mut sums = vec![(0u128, 0u64); slices.max(1) as usize];
        for (h, amount) in points {
            let slot = &mut sums[((h - lo) / width) as usize];
            slot.0 += amount;
            slot.1 += 1;
        }
        HeightSlices { lo, hi, width, sums }
    }

    /// The first and last height of slice `i`.
    pub fn blocks(&self, i: usize) -> (u64, u64) {
        let from = self.lo + i as u64 * self.width;
        (from, from + self.width - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::HeightSlices;

    #[test]
    fn heights_fall_into_equal_slices() {
        let s = HeightSlices::new(&[(10, 5), (11, 1), (33, 7)], 4);
        assert_eq!((s.lo, s.hi), (10, 33));
        assert_eq!(s.sums, vec![(6, 2), (0, 0), (0, 0), (7, 1)]);
        assert_eq!(s.blocks(0), (10, 15));
        assert_eq!(s.blocks(3), (28, 33));
        assert!(HeightSlices::new(&[], 3).sums.iter().all(|x| *x == (0, 0)));
    }
}
