//! Spend limits: what tools may pay or lock for a session (answer fees, task rewards, bonds,
//! stakes), per call and in all, checked before anything is sent. A charge is taken at its most
//! (a paid answer's voucher maximum) and the unused part given back once the ledger says what
//! was paid, so concurrent calls can never overrun a limit together. One budget is shared by
//! every session of a server too, so opening sessions does not multiply what can be spent.

use sinew_sdk::format_amount as tokens;
use sinew_types::Amount;
use std::sync::{Arc, Mutex};

/// The most tools may spend: in one call, and over a whole budget's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most one tool call may pay or lock, in base units.
    pub per_call: Amount,
    /// Most all calls together may pay or lock, in base units.
    pub total: Amount,
}

/// A call would spend more than allowed; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} needs {} tokens, over the {which} limit ({} left of {}); nothing was sent",
    tokens(*amount),
    tokens(*left),
    tokens(*limit)
)]
pub struct OverLimit {
    /// What was to be paid.
    pub what: String,
    /// How much.
    pub amount: Amount,
    /// Which limit: "per-call", "session" or "server".
    pub which: &'static str,
    /// What is left under it.
    pub left: Amount,
    /// The limit.
    pub limit: Amount,
}

/// Tokens committed against limits, shared by the calls of a session.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    which: &'static str,
    spent: Mutex<Amount>,
    parent: Option<Arc<Budget>>,
}

/// A charge taken from a budget (and its parent); `settle` keeps what was really paid.
#[derive(Debug)]
#[must_use = "settle the charge with what was paid (0 if nothing was)"]
pub struct Charge {
    budgets: Vec<Arc<Budget>>,
    amount: Amount,
}

impl Budget {
    /// A budget with `limits`, named `which` in errors, inside `parent` if any.
    pub fn new(limits: Limits, which: &'static str, parent: Option<Arc<Budget>>) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            which,
            spent: Mutex::new(0),
            parent,
        })
    }

    /// Base units committed so far.
    pub fn spent(&self) -> Amount {
        *self.spent.lock().expect("budget lock")
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// What may still be spent in one call here and in every enclosing budget.
    pub fn available(&self) -> Amount {
        let own = self.limits.total.saturating_sub(self.spent()).min(self.limits.per_call);
        match &self.parent {
            Some(p) => own.min(p.available()),
            None => own,
        }
    }

    /// Takes `amount` for `what` from this budget and every enclosing one, or none of them.
    pub fn charge(self: &Arc<Budget>, what: &str, amount: Amount) -> Result<Charge, OverLimit> {
        let mut chain = vec![self.clone()];
        while let Some(p) = chain.last().and_then(|b| b.parent.clone()) {
            chain.push(p);
        }
        let mut taken: Vec<Arc<Budget>> = Vec::new();
        for b in &chain {
            let mut spent = b.spent.lock().expect("budget lock");
            let left = b.limits.total.saturating_sub(*spent);
            let over = |which, left, limit| OverLimit {
                what: what.to_string(),
                amount,
                which,
                left,
                limit,
            };
            let refused = if amount > b.limits.per_call {
                Some(over("per-call", b.limits.per_call, b.limits.per_call))
            } else if amount > left {
                Some(over(b.which, left, b.limits.total))
            } else {
                None
            };
            if let Some(e) = refused {
                drop(spent);
                for t in &taken {
                    *t.spent.lock().expect("budget lock") -= amount;
                }
                return Err(e);
            }
            *spent += amount;
            taken.push(b.clone());
        }
        Ok(Charge { budgets: taken, amount })
    }
}

impl Charge {
    /// Keeps `paid` (at most the amount charged) and gives the rest back.
    pub fn settle(self, paid: Amount) {
        let back = self.amount - paid.min(self.amount);
        for b in &self.budgets {
            *b.spent.lock().expect("budget lock") -= back;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_call: Amount, total: Amount) -> Limits {
        Limits { per_call, total }
    }

    #[test]
    fn charges_stay_within_both_limits_and_give_back_what_was_not_paid() {
        let b = Budget::new(limits(10, 25), "session", None);
        assert_eq!(b.charge("x", 11).unwrap_err().which, "per-call");
        let c1 = b.charge("a", 10).unwrap();
        let c2 = b.charge("b", 10).unwrap();
        assert_eq!(b.charge("c", 6).unwrap_err().which, "session");
        c1.settle(4);
        assert_eq!(b.spent(), 14);
        c2.settle(0);
        assert_eq!(b.spent(), 4);
        assert_eq!(b.available(), 10);
        b.charge("d", 10).unwrap().settle(99);
        assert_eq!(b.spent(), 14, "settling never keeps more than was charged");
    }

    #[test]
    fn a_server_budget_caps_all_its_sessions_together() {
        let server = Budget::new(limits(10, 15), "server", None);
        let s1 = Budget::new(limits(10, 10), "session", Some(server.clone()));
        let s2 = Budget::new(limits(10, 10), "session", Some(server.clone()));
        s1.charge("a", 10).unwrap().settle(10);
        let e = s2.charge("b", 10).unwrap_err();
        assert_eq!(e.which, "server");
        assert_eq!(s2.spent(), 0, "a refused charge takes nothing from any budget");
        assert_eq!(s2.available(), 5);
        s2.charge("c", 5).unwrap().settle(5);
        assert_eq!(server.spent(), 15);
    }
}
