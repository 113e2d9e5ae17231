//! Datanet lifecycles per curation policy, bonds and fees, duplicates, and bad input.

use sinew_testkit::net as common;
use sinew_types::event::DatanetEvent;

use common::{create, with_datanet, Net};
use sinew_state::accounts::bond_escrow;
use sinew_state::datanet::contribution_leaf;
use sinew_state::read;
use sinew_state::{Datanet, DatanetVersion, StateKey, TxRejection};
use sinew_types::datanet::{ContributionStatus, CurationPolicy};
use sinew_types::failure::{DatanetFailure, LedgerFailure};
use sinew_types::payload::{
    Contribute, CreateDatanet, DatanetTx, ExpireContribution, PublishVersion, Review, SetParams, Stake, Transfer,
    Unstake, UpdateDatanetInfo,
};
use sinew_types::{merkle, Hash, Payload};

const DOC_A: &str =
    "The Danube flows through ten countries before reaching the Black Sea.\n\nIts delta is a large wetland.";
const DOC_B: &str = "The Nile was long thought to be the longest river in the world by most geographers.";

#[test]
fn owner_curated_lifecycle_with_bonds_versions_and_slashing() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::OwnerCurated, false));
    let d: Datanet = read(&n.state, &StateKey::Datanet(0)).unwrap().unwrap();
    assert_eq!((d.owner, d.open), (n.keys[0].address(), true));
    let (_, contrib) = n.blob(DOC_A);
    let before = n.balance(&n.keys[1].address());
    let r = n.ok(1, contrib);
    assert_eq!(n.balance(&n.keys[1].address()), before - r.fee - 1_000, "bond locked");
    assert_eq!(n.balance(&bond_escrow()), 1_000);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending);
    // Only the owner reviews; then it is decided once.
    let approve: Payload = Review {
        datanet: 0,
        contribution: 0,
        approve: true,
        reason: String::new(),
    }
    .into();
    assert_eq!(n.fails(2, approve.clone()), DatanetFailure::NotReviewer);
    assert_eq!(
        n.fails(0, PublishVersion { datanet: 0 }.into()),
        DatanetFailure::NothingApproved
    );
    n.ok(0, approve.clone());
    assert_eq!(n.fails(0, approve), DatanetFailure::AlreadyDecided);
    assert_eq!(n.balance(&bond_escrow()), 0, "bond returned");
    // Publish: fee by size to the treasury, an immutable version over approved contributions.
    assert_eq!(
        n.fails(1, PublishVersion { datanet: 0 }.into()),
        LedgerFailure::NotOwner
    );
    n.ok(0, PublishVersion { datanet: 0 }.into());
    let v: DatanetVersion = read(&n.state, &StateKey::DatanetVersion(0, 1)).unwrap().unwrap();
    assert_eq!(
        (v.contributions, v.records, v.bytes, v.fee),
        (1, 2, DOC_A.len() as u64, 2 * DOC_A.len() as u128)
    );
    assert_eq!(v.root, merkle::root(&[contribution_leaf(&n.contribution(0, 0))]));
    assert_eq!(
        n.fails(0, PublishVersion { datanet: 0 }.into()),
        DatanetFailure::NothingApproved
    );
    // A rejected contribution: half the bond slashed to the treasury (never to the reviewer, who
    // would profit from rejecting), its records freed.
    let (_, c2) = n.blob(DOC_B);
    n.ok(2, c2.clone());
    let owner_before = n.balance(&n.keys[0].address());
    let contributor_before = n.balance(&n.keys[2].address());
    let treasury_before = n.balance(&sinew_state::accounts::treasury());
    let reject: Payload = Review {
        datanet: 0,
        contribution: 1,
        approve: false,
        reason: "off topic".into(),
    }
    .into();
    let r = n.ok(0, reject);
    assert_eq!(n.balance(&n.keys[0].address()), owner_before - r.fee);
    assert_eq!(n.balance(&n.keys[2].address()), contributor_before + 500);
    assert_eq!(
        n.balance(&sinew_state::accounts::treasury()),
        treasury_before + r.fee + 500
    );
    assert_eq!(
        n.contribution(0, 1).status,
        ContributionStatus::Rejected {
            reason: "off topic".into()
        }
    );
    n.ok(3, c2);
    assert_eq!(
        n.contribution(0, 2).contributor,
        n.keys[3].address(),
        "rejected records no longer block"
    );
    // Version 1 never changes.
    let v1: DatanetVersion = read(&n.state, &StateKey::DatanetVersion(0, 1)).unwrap().unwrap();
    assert_eq!(v1, v);
}

#[test]
fn open_datanets_approve_at_once() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    let (_, c) = n.blob(DOC_A);
    n.ok(1, c);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Approved);
    assert_eq!(n.balance(&bond_escrow()), 0);
    assert_eq!(
        n.fails(
            0,
            Review {
                datanet: 0,
                contribution: 0,
                approve: true,
                reason: String::new()
            }
            .into()
        ),
        DatanetFailure::OpenDatanet
    );
    n.ok(0, PublishVersion { datanet: 0 }.into());
}

#[test]
fn staked_reviewers_vote_to_a_quorum() {
    let mut n = Net::new();
    n.ok(
        0,
        create(
            CurationPolicy::StakedReviewers {
                quorum: 2,
                min_stake: 5_000,
            },
            false,
        ),
    );
    for who in [3, 4] {
        n.ok(who, Stake { amount: 5_000 }.into());
    }
    n.ok(2, Stake { amount: 10 }.into());
    let (_, c) = n.blob(DOC_A);
    n.ok(1, c);
    let yes: Payload = Review {
        datanet: 0,
        contribution: 0,
        approve: true,
        reason: String::new(),
    }
    .into();
    assert_eq!(
        n.fails(0, yes.clone()),
        DatanetFailure::NotReviewer,
        "the owner has no stake"
    );
    assert_eq!(n.fails(2, yes.clone()), DatanetFailure::NotReviewer, "too little stake");
    n.ok(3, yes.clone());
    assert_eq!(n.fails(3, yes.clone()), DatanetFailure::AlreadyVoted);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending);
    n.ok(4, yes);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Approved);
    // Two nays reject.
    let (_, c) = n.blob(DOC_B);
    n.ok(1, c);
    let no: Payload = Review {
        datanet: 0,
        contribution: 1,
        approve: false,
        reason: "wrong".into(),
    }
    .into();
    n.ok(3, no.clone());
    n.ok(4, no);
    assert!(matches!(
        n.contribution(0, 1).status,
        ContributionStatus::Rejected { .. }
    ));
}

/// Issue 10, 13: reviews counted heads, so one party splitting its stake into sybil accounts
/// decided alone. Now stake decides: twice the minimum in one account weighs what two
/// reviewers do, and a sybil split adds nothing.
#[test]
fn staked_reviews_weigh_stake_not_heads() {
    let mut n = Net::new();
    n.ok(
        0,
        create(
            CurationPolicy::StakedReviewers {
                quorum: 3,
                min_stake: 5_000,
            },
            false,
        ),
    );
    n.ok(3, Stake { amount: 15_000 }.into());
    for who in [1, 4] {
        n.ok(who, Stake { amount: 5_000 }.into());
    }
    let (_, c) = n.blob(DOC_A);
    n.ok(2, c);
    // Two minimum stakes say no: 10,000 of the 15,000 needed.
    n.ok(1, review(false));
    n.ok(4, review(false));
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending);
    // The contributor may not review its own contribution, whatever its stake.
    n.ok(2, Stake { amount: 100_000 }.into());
    assert_eq!(n.fails(2, review(true)), LedgerFailure::Conflict);
    // One reviewer with three times the minimum outweighs them.
    n.ok(3, review(true));
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Approved);
    assert_eq!(n.contribution(0, 0).votes.iter().map(|v| v.stake).sum::<u128>(), 25_000);
}

/// A staked reviewer's vote on contribution 0 of datanet 0.
fn review(approve: bool) -> Payload {
    Review {
        datanet: 0,
        contribution: 0,
        approve,
        reason: "no".into(),
    }
    .into()
}

/// Issue 10, 13: stake weighs votes, so it must not be counted twice, and the vote list must not
/// be a prize for whoever fills it first. A full list gives way to stake (the lightest vote goes),
/// and a vote weighs its reviewer's stake now: stake unbonded after voting no longer counts.
#[test]
fn full_vote_lists_give_way_to_stake_and_unbonded_stake_stops_counting() {
    let max = sinew_types::records::MAX_VOTES;
    let mut n = Net::with_keys(max + 8);
    // Quorum: 100 x 1,000 = 100,000 of stake on one side, and more than the other side.
    let min_stake = 1_000;
    n.ok(
        0,
        create(CurationPolicy::StakedReviewers { quorum: 100, min_stake }, false),
    );
    let (_, c) = n.blob(DOC_A);
    n.ok(1, c);
    let reviewer = |n: &mut Net, who: usize, stake: u128, approve: bool| {
        n.ok(who, Stake { amount: stake }.into());
        n.ok(who, review(approve));
    };
    // Minimum stakes fill the list: 99 say yes (99,000), one says no.
    for who in 2..2 + max - 1 {
        reviewer(&mut n, who, min_stake, true);
    }
    reviewer(&mut n, max + 1, min_stake, false);
    assert_eq!(n.contribution(0, 0).votes.len(), max);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending);
    // Another minimum stake cannot push anyone out.
    let (small, big, again, last) = (max + 2, max + 3, max + 4, max + 5);
    n.ok(small, Stake { amount: min_stake }.into());
    assert_eq!(n.fails(small, review(false)), DatanetFailure::VotesFull);
    // A heavier reviewer takes the lightest seat (the latest of equals).
    reviewer(&mut n, big, 60_000, false);
    let c = n.contribution(0, 0);
    assert_eq!(c.votes.len(), max);
    assert!(c.votes.iter().all(|v| v.reviewer != n.keys[max + 1].address()));
    assert_eq!(c.status, ContributionStatus::Pending, "yes 99,000, no 60,000");
    // It unbonds its stake, which then votes again from another account: the first vote now
    // weighs nothing (and is the one to give way), so no has 60,000, not 120,000 (which would
    // reject).
    n.ok(big, Unstake { amount: 60_000 }.into());
    reviewer(&mut n, again, 60_000, false);
    let c = n.contribution(0, 0);
    assert!(c.votes.iter().all(|v| v.reviewer != n.keys[big].address()));
    assert_eq!(c.status, ContributionStatus::Pending, "yes 99,000, no 60,000");
    // Yes reaches 98,000 + 3,000 = 101,000 and outweighs no.
    reviewer(&mut n, last, 3_000, true);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Approved);
}

/// Issue 10, 13: a vote decides only in its own direction. Weights move between votes (a vote
/// weighs its reviewer's stake at the tally), so an approving vote could otherwise set off a
/// rejection, and its re-read of the records, while paying an approval's fee.
#[test]
fn an_approving_vote_never_rejects() {
    let mut n = Net::with_keys(8);
    let min_stake = 100;
    n.ok(
        0,
        create(CurationPolicy::StakedReviewers { quorum: 3, min_stake }, false),
    );
    let (_, c) = n.blob(DOC_A);
    n.ok(1, c);
    // Two say no (200 of the 300 needed), one says yes.
    for who in [2, 3] {
        n.ok(who, Stake { amount: min_stake }.into());
        n.ok(who, review(false));
    }
    n.ok(5, Stake { amount: min_stake }.into());
    n.ok(5, review(true));
    // A no voter stakes more: no now weighs 400, but nothing is decided without a vote.
    n.ok(2, Stake { amount: 200 }.into());
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending);
    // The next vote says yes: no outweighs yes and passes the threshold, but a yes does not reject.
    n.ok(6, Stake { amount: min_stake }.into());
    let r = n.ok(6, review(true));
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Pending, "{r:?}");
    // A vote that says no decides it, and pays for the re-read.
    n.ok(7, Stake { amount: min_stake }.into());
    n.ok(7, review(false));
    assert!(matches!(
        n.contribution(0, 0).status,
        ContributionStatus::Rejected { .. }
    ));
}

/// Issue 10, 13: a pending contribution held its record hashes for ever (nobody else could
/// contribute them, whatever the reviewers did). After `pending_expiry_blocks` anyone may expire
/// it: its bond comes back in full and its records are free.
#[test]
fn unreviewed_contributions_expire_and_free_their_records() {
    let mut n = Net::new();
    n.ok(
        0,
        SetParams {
            update: sinew_types::ParamsUpdate {
                pending_expiry_blocks: Some(5),
                ..Default::default()
            },
        }
        .into(),
    );
    n.ok(0, create(CurationPolicy::OwnerCurated, false));
    let (_, c) = n.blob(DOC_A);
    let before = n.balance(&n.keys[1].address());
    let r = n.ok(1, c.clone());
    assert_eq!(
        n.fails(2, c.clone()),
        DatanetFailure::DuplicateRecord,
        "squatted while pending"
    );
    let expire: Payload = ExpireContribution {
        datanet: 0,
        contribution: 0,
    }
    .into();
    assert_eq!(n.fails(2, expire.clone()), LedgerFailure::TooEarly);
    n.advance(5);
    n.ok(2, expire.clone());
    assert_eq!(n.fails(2, expire), DatanetFailure::AlreadyDecided);
    assert!(matches!(
        n.contribution(0, 0).status,
        ContributionStatus::Rejected { .. }
    ));
    assert_eq!(
        n.balance(&n.keys[1].address()),
        before - r.fee,
        "the whole bond came back"
    );
    assert_eq!(n.balance(&bond_escrow()), 0);
    n.ok(3, c);
    assert_eq!(n.contribution(0, 1).contributor, n.keys[3].address());
}

/// Records `from..from + count` of the case variants of one sentence (distinct, same words).
fn case_variants(from: usize, count: usize) -> String {
    let base = "the danube river flows through ten countries before reaching the black sea delta";
    (from..from + count)
        .map(|i| {
            let mut letter = 0;
            base.chars()
                .map(|ch| {
                    if !ch.is_ascii_alphabetic() {
                        return ch;
                    }
                    letter += 1;
                    if letter <= 32 && (i >> (letter - 1)) & 1 == 1 {
                        ch.to_ascii_uppercase()
                    } else {
                        ch
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Issue 10, hole 2: records that share LSH bands (case variants are enough) cost N x M
/// comparisons and map entries: two contributions of about 700 KB exhausted memory; and copies
/// inside one contribution were never compared at all. Now each bucket keeps a bounded number of
/// records, so a contribution costs at most 16 x 4 comparisons per record, and later records of
/// a contribution are compared with its earlier ones.
#[test]
fn near_duplicate_search_is_linear_and_sees_copies_within_a_contribution() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    n.ok(0, create(CurationPolicy::Open, true));
    // Two case variants in one contribution: flagged (datanet 0) or refused (datanet 1).
    let (_, two) = n.blob(&case_variants(0, 2));
    let r = n.ok(1, two.clone());
    assert!(
        r.events.iter().any(|e| matches!(
            e,
            sinew_types::Event::Datanet(DatanetEvent::Contributed { near_duplicates: 1, .. })
        )),
        "{:?}",
        r.events
    );
    let f = &n.contribution(0, 0).near_duplicates[0];
    assert_eq!((f.record, f.other_contribution, f.other_record), (1, 0, 0));
    assert_eq!(n.fails(1, with_datanet(two, 1)), DatanetFailure::NearDuplicate);
    // Thousands of variants, twice: every record is flagged, no bucket grows past its cap.
    let many = case_variants(2, 3_000);
    let (_, first) = n.blob(&many);
    let r = n.ok(2, first);
    let flagged = |r: &sinew_types::Receipt| {
        r.events
            .iter()
            .find_map(|e| match e {
                sinew_types::Event::Datanet(DatanetEvent::Contributed { near_duplicates, .. }) => {
                    Some(*near_duplicates)
                }
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(
        flagged(&r),
        3_000,
        "each is near the two earlier ones or an earlier sibling"
    );
    let more: String = many.replace("delta", "DeLtA").replace("sea", "SEA");
    let (_, second) = n.blob(&more);
    let r = n.ok(3, second);
    assert_eq!(flagged(&r), 3_000);
    let prefix = StateKey::DatanetLsh(0, 0, 0, 0).owner_prefix();
    let mut per_bucket: std::collections::BTreeMap<(Vec<u8>, u64), usize> = Default::default();
    for (k, v) in n.state.map.iter().filter(|(k, _)| k.starts_with(&prefix)) {
        let group: Vec<(u64, u64, u32)> = borsh::from_slice(v).unwrap();
        assert!(group.windows(2).all(|w| w[0] < w[1]), "sorted");
        for (h, _, _) in group {
            *per_bucket.entry((k[..10].to_vec(), h)).or_default() += 1;
        }
    }
    assert!(!per_bucket.is_empty());
    assert!(per_bucket.values().all(|n| *n <= sinew_state::datanet::LSH_BUCKET_CAP));
}

#[test]
fn pdfs_are_contributed_as_their_text() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    let (_, mut c) = n.blob(DOC_A);
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { format, .. })) = &mut c {
        *format = sinew_types::datanet::Format::Pdf { max_record_bytes: 4096 };
    }
    match n.run(1, c) {
        Err(TxRejection::InvalidDatanet(m)) => assert!(m.contains("extracted text"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicates_are_refused_and_near_duplicates_flagged_or_refused() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    n.ok(0, create(CurationPolicy::Open, true));
    let long = "Rivers carry sediment from mountains to the sea, building plains and deltas over thousands of years while people farm along their banks and trade on their waters.";
    let (_, c) = n.blob(long);
    n.ok(1, c.clone());
    // An identical record again: refused.
    assert_eq!(n.fails(2, c.clone()), DatanetFailure::DuplicateRecord);
    let (_, twice) = n.blob(&format!("{long}\n\n{long}"));
    assert_eq!(n.fails(2, twice), DatanetFailure::DuplicateRecord);
    // A near-copy: flagged in datanet 0, refused in datanet 1 (which first takes the original).
    let near = long.replace("thousands", "many thousands").replace("trade", "travel");
    let (_, nc) = n.blob(&near);
    let r = n.ok(2, nc.clone());
    assert!(
        matches!(
            r.events[1],
            sinew_types::Event::Datanet(DatanetEvent::Contributed { near_duplicates: 1, .. })
        ),
        "{:?}",
        r.events
    );
    let flagged = n.contribution(0, 1);
    assert_eq!(flagged.near_duplicate_count, 1);
    assert_eq!(
        (
            flagged.near_duplicates[0].other_contribution,
            flagged.near_duplicates[0].other_record
        ),
        (0, 0)
    );
    n.ok(1, with_datanet(c, 1));
    assert_eq!(n.fails(2, with_datanet(nc, 1)), DatanetFailure::NearDuplicate);
}

#[test]
fn bad_datanet_input_is_refused_cleanly() {
    let mut n = Net::new();
    let mut bad = create(CurationPolicy::OwnerCurated, false);
    if let Payload::Datanet(DatanetTx::CreateDatanet(CreateDatanet { info, .. })) = &mut bad {
        info.license = "Not-A-License".into();
    }
    assert!(matches!(n.run(0, bad), Err(TxRejection::InvalidDatanet(_))));
    let mut bad = create(
        CurationPolicy::StakedReviewers {
            quorum: 0,
            min_stake: 1,
        },
        false,
    );
    assert!(matches!(n.run(0, bad.clone()), Err(TxRejection::InvalidDatanet(_))));
    if let Payload::Datanet(DatanetTx::CreateDatanet(CreateDatanet { rules, .. })) = &mut bad {
        rules.curation = CurationPolicy::OwnerCurated;
        rules.reject_slash_bps = 10_001;
    }
    assert!(matches!(n.run(0, bad), Err(TxRejection::InvalidDatanet(_))));
    let (blob, c) = n.blob(DOC_A);
    assert_eq!(n.fails(1, c.clone()), DatanetFailure::UnknownDatanet);
    n.ok(0, create(CurationPolicy::OwnerCurated, false));
    // Claims that do not match the blob.
    let mut wrong = c.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { record_count, .. })) = &mut wrong {
        *record_count = 3;
    }
    assert_eq!(n.fails(1, wrong), DatanetFailure::BlobMismatch);
    let mut wrong = c.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { records_root, .. })) = &mut wrong {
        *records_root = Hash::of(b"lie");
    }
    assert_eq!(n.fails(1, wrong), DatanetFailure::BlobMismatch);
    let mut wrong = c.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { size, .. })) = &mut wrong {
        *size += 1;
    }
    assert_eq!(n.fails(1, wrong), DatanetFailure::BlobMismatch);
    // A blob this node lacks is not a verdict on the transaction: it waits (not included), and
    // the node refuses it at admission in the first place.
    let mut missing = c.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { blob, .. })) = &mut missing {
        *blob = Hash::of(b"never uploaded");
    }
    assert!(matches!(n.run(1, missing), Err(TxRejection::Unavailable(_))));
    let mut zero = c.clone();
    if let Payload::Datanet(DatanetTx::Contribute(Contribute { record_count, .. })) = &mut zero {
        *record_count = 0;
    }
    assert!(matches!(n.run(1, zero), Err(TxRejection::InvalidDatanet(_))));
    let reject_without_reason: Payload = Review {
        datanet: 0,
        contribution: 0,
        approve: false,
        reason: " ".into(),
    }
    .into();
    assert!(matches!(
        n.run(0, reject_without_reason),
        Err(TxRejection::InvalidDatanet(_))
    ));
    assert_eq!(
        n.fails(
            0,
            Review {
                datanet: 0,
                contribution: 9,
                approve: true,
                reason: String::new()
            }
            .into()
        ),
        DatanetFailure::UnknownContribution
    );
    // Closing the datanet stops contributions; only the owner may close it.
    let close: Payload = UpdateDatanetInfo {
        datanet: 0,
        description: None,
        tags: None,
        open: Some(false),
    }
    .into();
    assert_eq!(n.fails(1, close.clone()), LedgerFailure::NotOwner);
    n.ok(0, close);
    assert_eq!(n.fails(1, c), DatanetFailure::DatanetClosed);
    assert!(n.blobs.blobs.contains_key(&blob));
}

mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Random datanet activity (creation under every policy, contributions of overlapping
        /// documents, reviews by anyone, publishing, staking) never changes total supply: bonds,
        /// slashes and fees only move tokens. `Net::run` checks supply after every block.
        #[test]
        fn bonds_slashes_and_fees_conserve_supply(ops in proptest::collection::vec((0u8..6, 0usize..5, 0u64..3, any::<bool>()), 1..40)) {
            let mut n = Net::new();
            let docs = [DOC_A, DOC_B, "A third document about lakes and their fish.", "Estuaries mix salt and fresh water twice a day."];
            for (op, who, x, flag) in ops {
                let payload = match op {
                    0 => create(match x { 0 => CurationPolicy::Open, 1 => CurationPolicy::OwnerCurated, _ => CurationPolicy::StakedReviewers { quorum: 1, min_stake: 100 } }, flag),
                    1 | 2 => {
                        let (_, c) = n.blob(docs[(x as usize + who) % docs.len()]);
                        with_datanet(c, x)
                    }
                    3 => Review { datanet: x, contribution: (who as u64) % 3, approve: flag, reason: "r".into() }.into(),
                    4 => PublishVersion { datanet: x }.into(),
                    _ => Stake { amount: 100 }.into(),
                };
                let _ = n.run(who, payload);
            }
        }
    }
}

/// A blob source whose disk fails for a while (too many open files, a full disk).
struct Flaky;

impl sinew_state::BlobSource for Flaky {
    fn records(
        &self,
        _: &sinew_types::datanet::BlobId,
        _: &sinew_types::datanet::Format,
    ) -> Result<std::sync::Arc<sinew_datanet::Ingested>, sinew_state::BlobSourceError> {
        Err(sinew_state::BlobSourceError::Unavailable(
            "Too many open files (os error 24)".into(),
        ))
    }
}

/// Issue 10, hole 10: a transient disk error inside `apply` used to stop block production for
/// good. Now the transaction that needs the unreadable blob is left out of the block (no fee,
/// no trace) while the rest of the block goes on, and it is included once the disk recovers.
#[test]
fn a_transient_disk_error_leaves_the_transaction_out_and_the_chain_goes_on() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    let (_, c) = n.blob(DOC_A);
    let sign = |n: &Net, who: usize, nonce: u64, p: Payload| {
        n.keys[who]
            .sign(sinew_types::Transaction {
                chain_id: "sinew-test".into(),
                signer: n.keys[who].address(),
                nonce,
                max_fee: 10_000_000,
                payload: p,
            })
            .prepare()
    };
    let contribute = sign(&n, 1, n.nonces[1], c.clone());
    let transfer = sign(
        &n,
        2,
        n.nonces[2],
        Transfer {
            to: n.keys[3].address(),
            amount: 5,
        }
        .into(),
    );
    let flaky = Flaky;
    let (ex, rejected) = n
        .chain
        .propose(
            &n.state,
            &flaky,
            [&contribute, &transfer],
            0,
            sinew_types::Address::default(),
        )
        .unwrap();
    assert_eq!(ex.block.txs.len(), 1, "the transfer goes on");
    assert_eq!(ex.block.txs[0].tx.signer, n.keys[2].address());
    assert!(matches!(&rejected[..], [(id, TxRejection::Unavailable(_))] if *id == contribute.id));
    assert!(
        ex.effects
            .writes
            .keys()
            .all(|k| *k != StateKey::Account(n.keys[1].address()).encode()),
        "no fee"
    );
    // Once the disk is back, the same transaction is included.
    n.ok(1, c);
    assert_eq!(n.contribution(0, 0).status, ContributionStatus::Approved);
}

/// Issue 10, 13: a datanet pushed past what a version may hold is refused at publication with a
/// clear failure (its index could not be built), and nothing is published.
#[test]
fn a_version_too_large_to_index_is_not_published() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    let (_, c) = n.blob(DOC_A);
    n.ok(1, c);
    // Reaching the bound for real takes 1 TiB of records: the datanet's approved size is set to
    // it (as if the bytes were published before, so no fee is owed for them).
    let key = StateKey::Datanet(0).encode();
    let resize = |n: &mut Net, total: u64| {
        let mut d: Datanet = borsh::from_slice(&n.state.map[&key]).unwrap();
        let new = d.approved_bytes - d.published_bytes;
        d.approved_bytes = total;
        d.published_bytes = total - new;
        n.state.map.insert(key.clone(), borsh::to_vec(&d).unwrap());
    };
    resize(&mut n, sinew_types::records::MAX_VERSION_BYTES);
    n.expect_failure(0, PublishVersion { datanet: 0 }.into(), DatanetFailure::TooLargeToIndex);
    let d: Datanet = read(&n.state, &StateKey::Datanet(0)).unwrap().unwrap();
    assert_eq!(d.versions, 0);
    // Five gigabytes, past the 4 GiB the ledger allowed while builds held a version's text at
    // once, publish.
    resize(&mut n, 5 << 30);
    n.ok(0, PublishVersion { datanet: 0 }.into());
    let d: Datanet = read(&n.state, &StateKey::Datanet(0)).unwrap().unwrap();
    assert_eq!(d.versions, 1);
}

/// Issue 10, 13: receipts are hashed into blocks, so a failure recorded there must read the same
/// on every validator: a malformed file's failure names the file, line and our own wording, never
/// the parser's (whose messages change with its version).
#[test]
fn a_malformed_file_fails_in_our_words_not_the_parsers() {
    let mut n = Net::new();
    n.ok(0, create(CurationPolicy::Open, false));
    for (text, format, ours) in [
        (
            "{\"text\": \"fine\"}\n{\"text\": tru\n",
            sinew_types::datanet::Format::Jsonl { field: "text".into() },
            "malformed JSON",
        ),
        (
            "a,text\n1,two,three\n",
            sinew_types::datanet::Format::Csv {
                columns: vec!["text".into()],
            },
            "malformed CSV",
        ),
    ] {
        let (blob, _) = n.blob(text);
        let detailed = sinew_datanet::ingest_blob(text.as_bytes(), &format, "f").unwrap_err();
        assert!(detailed.detail.is_some(), "the parser has its own words: {detailed}");
        let r = n.run(
            1,
            Contribute {
                datanet: 0,
                blob,
                size: text.len() as u64,
                format,
                record_count: 1,
                records_root: Hash::ZERO,
                metadata: String::new(),
            }
            .into(),
        );
        let r = r.expect("included");
        let sinew_types::TxStatus::Failed { message, .. } = &r.status else {
            panic!("{r:?}");
        };
        assert!(message.contains(ours), "{message}");
        assert!(!message.contains(detailed.detail.as_deref().unwrap()), "{message}");
    }
}
