//! Configuration agreement between validators, before consensus starts and for as long as it
//! runs. Each validator tells the others which genesis it started from (chain id, genesis block
//! hash, validator set) and where it dials each of them; each compares what it hears with its own.
//! A validator whose genesis disagrees with more than `f` of the others, and with most of them, is
//! the misconfigured one (at most `f` are faulty; in a set of two or three, where `f` is zero, one
//! peer that disagrees is not enough): it refuses to start, naming the difference, instead of
//! running a chain nobody else runs. A peer whose genesis disagrees, or that dials a validator at another address,
//! is named in the log. Consensus starts once a quorum agrees (or after [`WAIT`], for a network
//! that is not all up yet).

use borsh::{BorshDeserialize, BorshSerialize};
use sinew_types::{Address, Hash};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long a starting validator waits to hear a quorum agree before it starts consensus anyway.
pub const WAIT: Duration = Duration::from_secs(10);

/// How often a validator repeats its hello while some peers have not answered.
pub const REPEAT: Duration = Duration::from_millis(250);

/// Most bytes of a hello on the wire (256 validators with their addresses fit many times over).
pub const MAX_HELLO_BYTES: usize = 64 << 10;

/// Most characters of a peer's text (a chain id, an address) quoted in a difference.
const QUOTED: usize = 64;
/// Most keys or addresses listed in one difference.
const LISTED: usize = 8;

/// `text` quoted, cut to [`QUOTED`] characters (a peer chooses it).
fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(QUOTED).collect();
    if cut.len() < text.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

/// The first [`LISTED`] of `keys`, and how many more.
fn listed(keys: Vec<String>) -> String {
    let more = keys.len().saturating_sub(LISTED);
    let mut s = keys.into_iter().take(LISTED).collect::<Vec<_>>().join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// What a validator says about its configuration.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Hello {
    /// The chain id of its genesis.
    pub chain_id: String,
    /// The hash of its genesis block (accounts, parameters, validators and time).
    pub genesis: Hash,
    /// The genesis validator set, in order.
    pub validators: Vec<Address>,
    /// Where it dials each validator (key, address as configured).
    pub peers: Vec<(Address, String)>,
}

/// A hello on the wire, and whether the sender asks for one back (a validator that just started
/// asks; answers do not, so two validators never answer each other for ever).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Message {
    /// The sender's configuration.
    pub hello: Hello,
    /// Whether the sender asks for the receiver's hello.
    pub asks: bool,
}

impl Message {
    /// Decodes a message from a peer, within the size bound.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        if bytes.len() > MAX_HELLO_BYTES {
            return None;
        }
        borsh::from_slice(bytes).ok()
    }

    /// The message's bytes.
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("encodes")
    }
}

impl Hello {
    /// Why `theirs` (from validator `peer`) describes another genesis than this one, if it does.
    pub fn genesis_difference(&self, peer: &Address, theirs: &Hello) -> Option<String> {
        if self.chain_id != theirs.chain_id {
            return Some(format!(
                "chain id {} here, {} at validator {peer}",
                quoted(&self.chain_id),
                quoted(&theirs.chain_id)
            ));
        }
        if self.validators != theirs.validators {
            let missing = |from: &[Address], of: &[Address]| -> Vec<String> {
                of.iter().filter(|v| !from.contains(v)).map(|v| v.to_string()).collect()
            };
            let only_here = missing(&theirs.validators, &self.validators);
            let only_there = missing(&self.validators, &theirs.validators);
            return Some(if only_here.is_empty() && only_there.is_empty() {
                format!("the genesis validators are listed in another order at validator {peer}")
            } else {
                format!(
                    "the genesis validator sets differ: only here [{}], only at validator {peer} [{}]",
                    listed(only_here),
                    listed(only_there)
                )
            });
        }
        (self.genesis != theirs.genesis).then(|| {
            format!(
                "genesis block {} here, {} at validator {peer}: the genesis files differ in accounts, parameters or time",
                self.genesis, theirs.genesis
            )
        })
    }

    /// Validators this one dials at another address than `peer` does (both sides named).
    pub fn address_differences(&self, peer: &Address, theirs: &Hello) -> Vec<String> {
        let there: BTreeMap<&Address, &String> = theirs.peers.iter().map(|(k, a)| (k, a)).collect();
        self.peers
            .iter()
            .filter_map(|(k, here)| {
                let there = there.get(k)?;
                (*there != here).then(|| {
                    format!(
                        "validator {k} is dialed at {here} here, at {} by validator {peer}",
                        quoted(there)
                    )
                })
            })
            .take(LISTED)
            .collect()
    }
}

/// Where agreement stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A quorum (this validator included) shares this genesis.
    Agreed,
    /// Not enough peers heard yet.
    Waiting,
    /// More than `f` peers, and most of them, describe another genesis: this configuration is the
    /// odd one out.
    Refuse(String),
}

/// What this validator has heard from its peers.
pub struct Agreement {
    mine: Hello,
    me: Address,
    /// Per peer: `None` when it agrees, the difference otherwise.
    heard: BTreeMap<Address, Option<String>>,
}

impl Agreement {
    /// Nothing heard yet.
    pub fn new(mine: Hello, me: Address) -> Agreement {
        Agreement {
            mine,
            me,
            heard: BTreeMap::new(),
        }
    }

    /// This validator's own hello.
    pub fn mine(&self) -> &Hello {
        &self.mine
    }

    /// Records `peer`'s hello; the differences worth a warning (genesis, then addresses), if new.
    pub fn hear(&mut self, peer: Address, theirs: &Hello) -> Vec<String> {
        if peer == self.me || !self.mine.validators.contains(&peer) {
            return vec![];
        }
        let difference = self.mine.genesis_difference(&peer, theirs);
        let mut notes = Vec::new();
        if self.heard.get(&peer) != Some(&difference) {
            notes.extend(difference.clone());
            if difference.is_none() {
                notes.extend(self.mine.address_differences(&peer, theirs));
            }
        }
        self.heard.insert(peer, difference);
        notes
    }

    /// Whether every other validator has been heard.
    pub fn heard_all(&self) -> bool {
        self.heard.len() + 1 >= self.mine.validators.len()
    }

    /// The verdict so far: refuse when more than `f` of the other validators, and a majority of
    /// them, describe another genesis (so `f` liars never suffice, nor one peer in a set of two or
    /// three where `f` is zero).
    pub fn verdict(&self) -> Verdict {
        let n = self.mine.validators.len();
        let f = n.saturating_sub(1) / 3;
        let quorum = n - f;
        let differences: Vec<&String> = self.heard.values().flatten().collect();
        if differences.len() > f && 2 * differences.len() > n - 1 {
            return Verdict::Refuse(format!(
                "this validator's genesis disagrees with {} of the other {} validators (at most {f} may be faulty, so this configuration is the odd one out): {}",
                differences.len(),
                n - 1,
                differences[0]
            ));
        }
        let agreeing = self.heard.values().filter(|d| d.is_none()).count();
        if agreeing + 1 >= quorum {
            Verdict::Agreed
        } else {
            Verdict::Waiting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> Address {
        Address([i; 32])
    }

    fn hello(chain: &str, genesis: u8) -> Hello {
        Hello {
            chain_id: chain.into(),
            genesis: Hash([genesis; 32]),
            validators: (0..4).map(key).collect(),
            peers: (0..4)
                .map(|i| (key(i), format!("127.0.0.1:{}", 9000 + u16::from(i))))
                .collect(),
        }
    }

    #[test]
    fn a_quorum_that_agrees_starts_and_more_than_f_that_disagree_refuse() {
        let mut a = Agreement::new(hello("c", 1), key(0));
        assert_eq!(a.verdict(), Verdict::Waiting);
        assert!(a.hear(key(1), &hello("c", 1)).is_empty());
        assert_eq!(a.verdict(), Verdict::Waiting, "two of four is no quorum");
        // One faulty peer is named but stops nothing.
        let notes = a.hear(key(2), &hello("c", 9));
        assert!(
            notes[0].contains("genesis block") && notes[0].contains(&key(2).to_string()),
            "{notes:?}"
        );
        assert!(a.hear(key(2), &hello("c", 9)).is_empty(), "named once");
        assert_eq!(a.verdict(), Verdict::Waiting);
        assert!(a.hear(key(3), &hello("c", 1)).is_empty());
        assert_eq!(a.verdict(), Verdict::Agreed);
        // Hellos from outside the set, or claiming to be this validator, count for nothing.
        assert!(a.hear(key(7), &hello("other", 1)).is_empty());
        assert_eq!(a.verdict(), Verdict::Agreed);

        // The odd one out: two of the three others describe another genesis.
        let mut odd = Agreement::new(hello("c", 5), key(0));
        odd.hear(key(1), &hello("c", 1));
        assert_eq!(odd.verdict(), Verdict::Waiting);
        odd.hear(key(3), &hello("c", 1));
        match odd.verdict() {
            Verdict::Refuse(why) => assert!(
                why.contains("disagrees with 2 of the other 3") && why.contains("genesis block"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_a_set_of_three_one_peer_that_disagrees_stops_nobody() {
        let three = |chain: &str, g: u8| Hello {
            validators: (0..3).map(key).collect(),
            ..hello(chain, g)
        };
        let mut a = Agreement::new(three("c", 1), key(0));
        a.hear(key(1), &three("c", 9));
        assert_eq!(a.verdict(), Verdict::Waiting);
        // With f zero a quorum is all three: it waits (and starts after `WAIT`), never refuses.
        a.hear(key(2), &three("c", 1));
        assert_eq!(a.verdict(), Verdict::Waiting);
        // Both others disagree: this one is the odd one out.
        let mut odd = Agreement::new(three("c", 5), key(0));
        odd.hear(key(1), &three("c", 1));
        odd.hear(key(2), &three("c", 1));
        assert!(matches!(odd.verdict(), Verdict::Refuse(_)));
        // A peer's long chain id is quoted cut short.
        let d = three("c", 1)
            .genesis_difference(&key(1), &three(&"x".repeat(10_000), 1))
            .unwrap();
        assert!(d.len() < 300, "{}", d.len());
    }

    #[test]
    fn differences_are_named() {
        let me = hello("sinew-a", 1);
        assert!(me
            .genesis_difference(&key(1), &hello("sinew-b", 1))
            .unwrap()
            .contains("\"sinew-a\" here, \"sinew-b\""));
        let mut other = hello("sinew-a", 1);
        other.validators[3] = key(9);
        let d = me.genesis_difference(&key(1), &other).unwrap();
        assert!(
            d.contains(&format!("only here [{}]", key(3))) && d.contains(&key(9).to_string()),
            "{d}"
        );
        other.validators = me.validators.iter().rev().cloned().collect();
        assert!(me
            .genesis_difference(&key(1), &other)
            .unwrap()
            .contains("another order"));
        assert_eq!(me.genesis_difference(&key(1), &hello("sinew-a", 1)), None);
        let mut moved = hello("sinew-a", 1);
        moved.peers[2].1 = "127.0.0.1:9999".into();
        let d = me.address_differences(&key(1), &moved);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("127.0.0.1:9002 here, at \"127.0.0.1:9999\""), "{d:?}");
        assert!(Message::decode(&vec![0; MAX_HELLO_BYTES + 1]).is_none());
        let m = Message { hello: me, asks: true };
        assert_eq!(Message::decode(&m.encode()), Some(m));
    }
}
