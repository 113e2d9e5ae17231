//! Payable inference in the state machine: registration, prepaid balances and keys, settlement
//! with recomputed attribution and exact fee splits, rewards, and every bad input.

mod common;

use common::Net;
use proptest::prelude::*;
use sinew_state::executor::read;
use sinew_state::inference::{
    answer_receipt, api_key_hash, model_corpus, prepaid_escrow, rewards_pool, ApiKey, Model, Prepaid,
};
use sinew_state::{StateKey, TxRejection};
use sinew_types::inference::{ModelInfo, ModelStatus, Pricing, Split};
use sinew_types::{Address, Event, Hash, Payload, TxStatus};

const OWNER: usize = 0;
const ALICE: usize = 1;
const BOB: usize = 2;
const PROVIDER: usize = 3;
const USER: usize = 4;

fn model_info(name: &str) -> ModelInfo {
    ModelInfo {
        name: name.into(),
        base_model: "infini-gram".into(),
        adapter: None,
        adapter_blob: None,
        datanets: vec![(0, 1)],
        tokenizer: "bytes".into(),
    }
}

const PRICING: Pricing = Pricing {
    input_per_1k: 1_000,
    output_per_1k: 2_000,
};
const SPLIT: Split = Split {
    owner_bps: 2_000,
    provider_bps: 3_000,
    contributors_bps: 5_000,
};

/// A datanet with Alice's and Bob's records in version 1, a provider, a model and a funded key.
fn setup() -> Net {
    let mut n = Net::new();
    common::with_model(&mut n);
    n.ok(
        USER,
        Payload::RegisterApiKey {
            key_hash: api_key_hash("sk-user"),
            spend_limit: 0,
        },
    );
    n.ok(USER, Payload::DepositPrepaid { amount: 1_000_000 });
    n
}

fn settle(n: &Net, request: &str, answer: &str, tokens: (u64, u64)) -> Payload {
    let m: Model = read(&n.state, &StateKey::Model(0)).unwrap().unwrap();
    let corpus = model_corpus(&n.state, &n.blobs, &m.info).unwrap();
    let params = read(&n.state, &StateKey::Params).unwrap().unwrap();
    let receipt = answer_receipt(&corpus, answer, &params);
    Payload::SettleInference {
        model: 0,
        api_key: api_key_hash("sk-user"),
        request_id: Hash::of(request.as_bytes()),
        prompt_hash: Hash::of(b"prompt"),
        input_tokens: tokens.0,
        output_tokens: tokens.1,
        answer: answer.into(),
        receipt: receipt.digest(),
    }
}

fn rewards(n: &Net, who: usize) -> u128 {
    read(&n.state, &StateKey::Rewards(n.keys[who].address()))
        .unwrap()
        .unwrap_or(0)
}

fn prepaid(n: &Net, who: usize) -> Prepaid {
    read(&n.state, &StateKey::Prepaid(n.keys[who].address()))
        .unwrap()
        .unwrap_or_default()
}

fn settled(events: &[Event]) -> (u128, [u128; 4]) {
    events
        .iter()
        .find_map(|e| match e {
            Event::InferenceSettled {
                fee,
                platform,
                owner,
                provider,
                contributors,
                ..
            } => Some((*fee, [*platform, *owner, *provider, *contributors])),
            _ => None,
        })
        .expect("settled")
}

#[test]
fn an_answer_is_settled_once_and_its_fee_split_exactly_by_attribution() {
    let mut n = setup();
    let answer = "Indeed, the Danube flows through ten countries before it reaches the Black Sea, they say.";
    let owner_before = n.balance(&n.keys[OWNER].address());
    let provider_before = n.balance(&n.keys[PROVIDER].address());
    let pay = settle(&n, "req-1", answer, (120, 91));
    let r = n.ok(PROVIDER, pay.clone());
    let (fee, [platform, owner, provider, contributors]) = settled(&r.events);
    // ceil((120 * 1000 + 91 * 2000) / 1000) = 302, plus the platform fee of 10.
    assert_eq!(fee, 312);
    assert_eq!(platform, 10);
    assert_eq!(platform + owner + provider + contributors, fee);
    assert_eq!(
        (owner, provider, contributors),
        (60, 91, 151),
        "302 split 20/30/50 by largest remainder"
    );
    assert_eq!(n.balance(&n.keys[OWNER].address()), owner_before + owner);
    assert_eq!(
        n.balance(&n.keys[PROVIDER].address()),
        provider_before + provider - r.fee
    );
    assert_eq!(
        rewards(&n, ALICE),
        contributors,
        "the whole answer came from Alice's record"
    );
    assert_eq!(rewards(&n, BOB), 0);
    assert_eq!(prepaid(&n, USER).balance, 1_000_000 - fee);
    let key: ApiKey = read(&n.state, &StateKey::ApiKey(api_key_hash("sk-user")))
        .unwrap()
        .unwrap();
    assert_eq!(key.spent, fee);
    // Never charged twice: the same request again fails and moves nothing.
    assert_eq!(n.fails(PROVIDER, pay), "already_settled");
    assert_eq!(prepaid(&n, USER).balance, 1_000_000 - fee);
    // Rewards are claimable once.
    let before = n.balance(&n.keys[ALICE].address());
    let c = n.ok(ALICE, Payload::ClaimRewards);
    assert_eq!(n.balance(&n.keys[ALICE].address()), before + contributors - c.fee);
    assert_eq!(n.fails(ALICE, Payload::ClaimRewards), "nothing_to_claim");
    assert_eq!(n.balance(&rewards_pool()), 0);
}

#[test]
fn answers_from_two_contributions_split_by_weight_and_unmatched_ones_go_to_the_datanet() {
    let mut n = setup();
    let answer = "The Danube flows through ten countries before it reaches the Black Sea, and \
                  Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water.";
    let r = n.ok(PROVIDER, settle(&n, "req-2", answer, (10, 200)));
    let (_, parts) = settled(&r.events);
    let (a, b) = (rewards(&n, ALICE), rewards(&n, BOB));
    assert!(a > 0 && b > 0, "both contributed: {a} {b}");
    assert_eq!(a + b, parts[3], "contributors' share split exactly");
    // No span matches: the contributors' share goes to the datanet's owner.
    let r = n.ok(
        PROVIDER,
        settle(&n, "req-3", "Completely unrelated words about volcanoes.", (5, 5)),
    );
    let (_, parts) = settled(&r.events);
    assert_eq!(rewards(&n, OWNER), parts[3]);
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::RewardAccrued {
            contribution: u64::MAX,
            ..
        }
    )));
}

#[test]
fn bad_settlements_fail_and_charge_nobody() {
    let mut n = setup();
    let answer = "the Danube flows through ten countries before it reaches the Black Sea";
    // A forged receipt: the digest of another answer's attribution.
    let mut forged = settle(&n, "req-f", answer, (1, 1));
    if let Payload::SettleInference { receipt, .. } = &mut forged {
        *receipt = Hash::of(b"forged");
    }
    assert_eq!(n.fails(PROVIDER, forged), "receipt_mismatch");
    // A stale receipt: computed for another answer.
    let stale = settle(
        &n,
        "req-s",
        "Lake Baikal in Siberia holds about a fifth of the unfrozen water",
        (1, 1),
    );
    let mut stale2 = settle(&n, "req-s", answer, (1, 1));
    if let (Payload::SettleInference { receipt: a, .. }, Payload::SettleInference { receipt: b, .. }) =
        (&stale, &mut stale2)
    {
        *b = *a;
    }
    assert_eq!(n.fails(PROVIDER, stale2), "receipt_mismatch");
    // Only the model's provider settles.
    assert_eq!(n.fails(USER, settle(&n, "req-u", answer, (1, 1))), "not_provider");
    // More than the prepaid balance.
    assert_eq!(
        n.fails(PROVIDER, settle(&n, "req-big", answer, (1, 1_000_000))),
        "insufficient_prepaid"
    );
    // Unknown model.
    let mut unknown = settle(&n, "req-m", answer, (1, 1));
    if let Payload::SettleInference { model, .. } = &mut unknown {
        *model = 9;
    }
    assert_eq!(n.fails(PROVIDER, unknown), "unknown_model");
    // A revoked key, an unknown key.
    n.ok(
        USER,
        Payload::RevokeApiKey {
            key_hash: api_key_hash("sk-user"),
        },
    );
    assert_eq!(n.fails(PROVIDER, settle(&n, "req-r", answer, (1, 1))), "revoked_key");
    let mut other = settle(&n, "req-k", answer, (1, 1));
    if let Payload::SettleInference { api_key, .. } = &mut other {
        *api_key = api_key_hash("sk-nobody");
    }
    assert_eq!(n.fails(PROVIDER, other), "unknown_key");
    assert_eq!(prepaid(&n, USER).balance, 1_000_000, "nobody was charged");
    // A paused model takes no settlements; only its owner may pause it.
    assert_eq!(
        n.fails(
            USER,
            Payload::UpdateModel {
                model: 0,
                pricing: None,
                status: Some(ModelStatus::Paused)
            }
        ),
        "not_owner"
    );
}

#[test]
fn spend_limits_and_prepaid_withdrawals() {
    let mut n = setup();
    n.ok(
        USER,
        Payload::RegisterApiKey {
            key_hash: api_key_hash("sk-limited"),
            spend_limit: 50,
        },
    );
    let mut p = settle(&n, "req-l", "no match here at all", (20, 20));
    if let Payload::SettleInference { api_key, .. } = &mut p {
        *api_key = api_key_hash("sk-limited");
    }
    assert_eq!(n.fails(PROVIDER, p), "spend_limit");
    assert_eq!(
        n.fails(
            USER,
            Payload::RegisterApiKey {
                key_hash: api_key_hash("sk-limited"),
                spend_limit: 0
            }
        ),
        "key_exists"
    );
    // A withdrawal returns after the unbonding period; meanwhile it is not available to spend.
    n.ok(USER, Payload::WithdrawPrepaid { amount: 400_000 });
    assert_eq!(prepaid(&n, USER).available(), 600_000);
    assert_eq!(
        n.fails(USER, Payload::WithdrawPrepaid { amount: 600_001 }),
        "insufficient_prepaid"
    );
    let before = n.balance(&n.keys[USER].address());
    let escrow = n.balance(&prepaid_escrow());
    for _ in 0..3 {
        n.ok(OWNER, Payload::Stake { amount: 1 });
    }
    assert_eq!(prepaid(&n, USER).balance, 600_000);
    assert_eq!(n.balance(&n.keys[USER].address()), before + 400_000);
    assert_eq!(n.balance(&prepaid_escrow()), escrow - 400_000);
}

#[test]
fn bad_registrations_are_refused_or_fail_cleanly() {
    let mut n = setup();
    let provider = n.keys[PROVIDER].address();
    let model = |info: ModelInfo, split: Split| Payload::RegisterModel {
        info,
        provider,
        pricing: PRICING,
        split,
    };
    let refused = |n: &mut Net, who: usize, p: Payload| match n.run(who, p) {
        Err(TxRejection::InvalidInference(m)) => m,
        other => panic!("expected a rejection, got {other:?}"),
    };
    let uneven = Split {
        owner_bps: 5_000,
        provider_bps: 5_000,
        contributors_bps: 1,
    };
    assert!(refused(&mut n, OWNER, model(model_info("m1"), uneven)).contains("10000"));
    let stingy = Split {
        owner_bps: 5_000,
        provider_bps: 4_500,
        contributors_bps: 500,
    };
    assert!(refused(&mut n, OWNER, model(model_info("m1"), stingy)).contains("at least 1000"));
    let mut t = model_info("m1");
    t.tokenizer = "llama".into();
    assert!(refused(&mut n, OWNER, model(t, SPLIT)).contains("tokenizer"));
    let mut d = model_info("m1");
    d.datanets.clear();
    assert!(refused(&mut n, OWNER, model(d, SPLIT)).contains("datanet"));
    let mut bad_name = model_info("m1");
    bad_name.name = "has spaces".into();
    refused(&mut n, OWNER, model(bad_name, SPLIT));
    assert!(matches!(
        n.run(USER, Payload::DepositPrepaid { amount: 0 }),
        Err(TxRejection::ZeroAmount)
    ));
    refused(
        &mut n,
        USER,
        Payload::RegisterProvider {
            name: "x".into(),
            endpoint: "ftp://nope".into(),
        },
    );
    // Stateful: a taken name, an unknown version, an unknown provider, a provider without stake.
    assert_eq!(n.fails(OWNER, model(model_info("river-lm"), SPLIT)), "name_taken");
    let mut v = model_info("m2");
    v.datanets = vec![(0, 7)];
    assert_eq!(n.fails(OWNER, model(v, SPLIT)), "unknown_datanet_version");
    assert_eq!(
        n.fails(
            OWNER,
            Payload::RegisterModel {
                info: model_info("m3"),
                provider: Address::default(),
                pricing: PRICING,
                split: SPLIT
            }
        ),
        "unknown_provider"
    );
    assert_eq!(
        n.fails(
            USER,
            Payload::RegisterProvider {
                name: "poor".into(),
                endpoint: "builtin".into()
            }
        ),
        "insufficient_stake"
    );
    assert_eq!(
        n.fails(
            PROVIDER,
            Payload::RegisterProvider {
                name: "again".into(),
                endpoint: "builtin".into()
            }
        ),
        "already_registered"
    );
    // Lineage is queryable both ways.
    let by_datanet: Vec<u64> = read(&n.state, &StateKey::ModelsByDatanet(0)).unwrap().unwrap();
    assert_eq!(by_datanet, vec![0]);
    let m: Model = read(&n.state, &StateKey::Model(0)).unwrap().unwrap();
    assert_eq!(m.info.datanets, vec![(0, 1)]);
}

#[test]
fn a_providers_stakers_share_its_part_of_every_fee_by_stake() {
    use sinew_state::inference::{provider_delegations, provider_split};
    let mut n = setup();
    let provider = n.keys[PROVIDER].address();
    n.ok(
        ALICE,
        Payload::DelegateToProvider {
            provider,
            amount: 30_000,
        },
    );
    n.ok(
        BOB,
        Payload::DelegateToProvider {
            provider,
            amount: 10_000,
        },
    );
    assert_eq!(n.balance(&provider_delegations()), 40_000);
    let not_provider = n.keys[USER].address();
    assert_eq!(
        n.fails(
            ALICE,
            Payload::DelegateToProvider {
                provider: not_provider,
                amount: 5
            }
        ),
        "unknown_provider"
    );
    assert_eq!(
        n.fails(PROVIDER, Payload::DelegateToProvider { provider, amount: 5 }),
        "self_delegation"
    );
    assert_eq!(
        n.fails(USER, Payload::UndelegateFromProvider { provider, amount: 5 }),
        "no_stake"
    );
    assert_eq!(
        n.fails(
            BOB,
            Payload::UndelegateFromProvider {
                provider,
                amount: 10_001
            }
        ),
        "insufficient_stake"
    );
    let (alice, bob) = (rewards(&n, ALICE), rewards(&n, BOB));
    let before = n.balance(&provider);
    // No span matches this answer, so Alice and Bob earn only as stakers.
    let r = n.ok(
        PROVIDER,
        settle(&n, "req-stake", "Nothing here matches the data.", (500, 500)),
    );
    let (_, parts) = settled(&r.events);
    let mut stakers = vec![(n.keys[ALICE].address(), 30_000u128), (n.keys[BOB].address(), 10_000)];
    stakers.sort();
    let shares = provider_split(parts[2], 10_000, &stakers);
    assert_eq!(
        shares.iter().sum::<u128>(),
        parts[2],
        "the provider's part splits exactly"
    );
    let share_of = |who: usize| shares[1 + stakers.iter().position(|s| s.0 == n.keys[who].address()).unwrap()];
    assert_eq!(rewards(&n, ALICE) - alice, share_of(ALICE));
    assert_eq!(rewards(&n, BOB) - bob, share_of(BOB));
    assert!(
        share_of(ALICE) > share_of(BOB) * 2,
        "three times the stake, three times the share"
    );
    assert_eq!(n.balance(&provider), before + shares[0] - r.fee);
    // Withdrawn stake unbonds like own stake.
    let (bal, fees) = (n.balance(&n.keys[BOB].address()), n.fees[BOB]);
    n.ok(
        BOB,
        Payload::UndelegateFromProvider {
            provider,
            amount: 10_000,
        },
    );
    assert_eq!(n.balance(&provider_delegations()), 30_000);
    for _ in 0..3 {
        n.ok(OWNER, Payload::Stake { amount: 1 });
    }
    assert_eq!(n.balance(&n.keys[BOB].address()), bal + 10_000 - (n.fees[BOB] - fees));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any prices, token counts and split: the fee is charged once, its parts sum to it exactly,
    /// the contributors' rewards sum to their part, and supply is conserved (checked by the
    /// harness after every block).
    #[test]
    fn every_fee_splits_exactly_and_supply_is_conserved(
        settlements in proptest::collection::vec((0u64..5_000, 0u64..5_000, 0usize..3), 1..6),
        rates in (0u128..50_000, 0u128..50_000),
        owner_bps in 0u16..=4_000,
        provider_bps in 0u16..=5_000,
    ) {
        let mut n = setup();
        // Model 0 is paused; model 1 (same lineage) has the drawn prices and split.
        n.ok(OWNER, Payload::UpdateModel { model: 0, pricing: None, status: Some(ModelStatus::Paused) });
        let provider = n.keys[PROVIDER].address();
        let split = Split { owner_bps, provider_bps, contributors_bps: 10_000 - owner_bps - provider_bps };
        let pricing = Pricing { input_per_1k: rates.0, output_per_1k: rates.1 };
        n.ok(OWNER, Payload::RegisterModel { info: model_info("prop-lm"), provider, pricing, split });
        let answers = [
            "the Danube flows through ten countries before it reaches the Black Sea",
            "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water on the planet",
            "nothing that matches",
        ];
        for (i, (tin, tout, a)) in settlements.into_iter().enumerate() {
            let before = prepaid(&n, USER).balance;
            let mut pay = settle(&n, &format!("p{i}"), answers[a], (tin, tout));
            if let Payload::SettleInference { model, .. } = &mut pay {
                *model = 1;
            }
            let r = n.run(PROVIDER, pay).unwrap();
            match r.status {
                TxStatus::Success => {
                    let (fee, parts) = settled(&r.events);
                    prop_assert_eq!(parts.iter().sum::<u128>(), fee);
                    let accrued: u128 = r.events.iter().map(|e| match e { Event::RewardAccrued { amount, .. } => *amount, _ => 0 }).sum();
                    prop_assert_eq!(accrued, parts[3]);
                    prop_assert_eq!(prepaid(&n, USER).balance, before - fee);
                }
                TxStatus::Failed { code, .. } => {
                    prop_assert_eq!(code, "insufficient_prepaid");
                    prop_assert_eq!(prepaid(&n, USER).balance, before);
                }
            }
        }
    }
}
