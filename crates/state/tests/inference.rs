//! Payable inference in the state machine: registration, prepaid balances and scoped keys,
//! reservations and settlements with recomputed attribution and exact fee splits, rewards, every
//! bad input, and the moves of hostile providers, payers and model owners.

use sinew_testkit::net as common;
use sinew_types::event::InferenceEvent;

use common::Net;
use proptest::prelude::*;
use sinew_state::accounts::{prepaid_escrow, rewards_pool};
use sinew_state::inference::{answer_receipt, api_key_hash, model_corpus, ApiKey, Hold, Model, Prepaid};
use sinew_state::read;
use sinew_state::{StateKey, TxRejection};
use sinew_types::failure::{InferenceFailure, LedgerFailure};
use sinew_types::inference::{KeyScope, ModelInfo, ModelStatus, Pricing, Split, Voucher};
use sinew_types::payload::{
    DelegateToProvider, DepositPrepaid, InferenceTx, PublishVersion, RegisterApiKey, RegisterModel, RegisterProvider,
    ReleaseHold, ReserveInference, RevokeApiKey, ServeModel, SetParams, SettleInference, Stake, UndelegateFromProvider,
    Unstake, UpdateModel, WithdrawPrepaid,
};
use sinew_types::records::Delegation;
use sinew_types::{Address, Event, Hash, Keypair, Params, Payload, TxStatus};

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

/// The user's key: provider 3 may charge it up to 1,000,000 per request.
fn user_scope(n: &Net) -> KeyScope {
    KeyScope::provider(n.keys[PROVIDER].address(), 1_000_000)
}

/// A datanet with Alice's and Bob's records in version 1, a provider, a model and a funded key.
fn setup() -> Net {
    let mut n = Net::new();
    common::with_model(&mut n);
    let scope = user_scope(&n);
    n.ok(
        USER,
        RegisterApiKey {
            key_hash: api_key_hash("sk-user"),
            scope,
        }
        .into(),
    );
    n.ok(USER, DepositPrepaid { amount: 1_000_000 }.into());
    n
}

fn params(n: &Net) -> Params {
    read(&n.state, &StateKey::Params).unwrap().unwrap()
}

fn model(n: &Net, id: u64) -> Model {
    read(&n.state, &StateKey::Model(id)).unwrap().unwrap()
}

/// A reservation of `request` on model `m` for key `key`: `tokens` prompt tokens, `max_out`
/// answer tokens, quoted at the model's current prices.
fn reserve_on(n: &Net, m: u64, key: &str, request: &str, tokens: u64, max_out: u64) -> Payload {
    let p = model(n, m).pricing;
    let max_fee = p.price(tokens, max_out).unwrap() + params(n).inference_platform_fee;
    ReserveInference {
        api_key: api_key_hash(key),
        request_id: Hash::of(request.as_bytes()),
        model: m,
        prompt_hash: Hash::of(b"prompt"),
        input_tokens: tokens,
        max_output_tokens: max_out,
        max_fee,
        voucher: None,
    }
    .into()
}

fn reserve(n: &Net, request: &str, tokens: u64, max_out: u64) -> Payload {
    reserve_on(n, 0, "sk-user", request, tokens, max_out)
}

fn settle_on(n: &Net, m: u64, request: &str, answer: &str) -> Payload {
    let corpus = model_corpus(&n.state, &n.blobs, &model(n, m).info).unwrap();
    let receipt = answer_receipt(&corpus, answer, &params(n));
    SettleInference {
        request_id: Hash::of(request.as_bytes()),
        answer: answer.into(),
        receipt: receipt.digest(),
    }
    .into()
}

fn settle(n: &Net, request: &str, answer: &str) -> Payload {
    settle_on(n, 0, request, answer)
}

/// Reserves and settles one answer (byte tokenizer: one token per byte); the settlement's receipt.
fn pay(n: &mut Net, request: &str, answer: &str, tokens: u64) -> sinew_types::Receipt {
    let r = reserve(n, request, tokens, answer.len() as u64 + 10);
    n.ok(PROVIDER, r);
    let s = settle(n, request, answer);
    n.ok(PROVIDER, s)
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

fn key(n: &Net, k: &str) -> ApiKey {
    read(&n.state, &StateKey::ApiKey(api_key_hash(k))).unwrap().unwrap()
}

fn settled(events: &[Event]) -> (u128, [u128; 4]) {
    events
        .iter()
        .find_map(|e| match e {
            Event::Inference(InferenceEvent::InferenceSettled {
                fee,
                platform,
                owner,
                provider,
                contributors,
                ..
            }) => Some((*fee, [*platform, *owner, *provider, *contributors])),
            _ => None,
        })
        .expect("settled")
}

#[test]
fn an_answer_is_settled_once_and_its_fee_split_exactly_by_attribution() {
    let mut n = setup();
    let answer = "Indeed, the Danube flows through ten countries before it reaches the Black Sea, they said.";
    assert_eq!(answer.len(), 90);
    let owner_before = n.balance(&n.keys[OWNER].address());
    let provider_before = n.balance(&n.keys[PROVIDER].address());
    // The hold is the price of the longest answer: ceil((120 * 1000 + 100 * 2000) / 1000) + 10.
    let res = n.ok(PROVIDER, reserve(&n, "req-1", 120, 100));
    assert_eq!(prepaid(&n, USER).held, 330);
    assert_eq!(prepaid(&n, USER).available(), 1_000_000 - 330);
    let pay = settle(&n, "req-1", answer);
    let r = n.ok(PROVIDER, pay.clone());
    let (fee, [platform, owner, provider, contributors]) = settled(&r.events);
    // The answer's 90 tokens are recounted: ceil((120 * 1000 + 90 * 2000) / 1000) = 300, plus 10.
    assert_eq!(fee, 310);
    assert_eq!(platform, 10);
    assert_eq!(platform + owner + provider + contributors, fee);
    assert_eq!(
        (owner, provider, contributors),
        (60, 90, 150),
        "300 split 20/30/50 by largest remainder"
    );
    assert_eq!(n.balance(&n.keys[OWNER].address()), owner_before + owner);
    assert_eq!(
        n.balance(&n.keys[PROVIDER].address()),
        provider_before + provider - r.fee - res.fee
    );
    assert_eq!(
        rewards(&n, ALICE),
        contributors,
        "the whole answer came from Alice's record"
    );
    assert_eq!(rewards(&n, BOB), 0);
    let p = prepaid(&n, USER);
    assert_eq!(
        (p.balance, p.held),
        (1_000_000 - fee, 0),
        "the rest of the hold returned"
    );
    let k = key(&n, "sk-user");
    assert_eq!((k.spent, k.held), (fee, 0));
    // Never charged twice: the same settlement again is not even included.
    assert!(matches!(n.run(PROVIDER, pay), Err(TxRejection::NoReservation(_))));
    // Nor can the request id be reserved again.
    assert_eq!(
        n.fails(PROVIDER, reserve(&n, "req-1", 1, 1)),
        InferenceFailure::RequestExists
    );
    assert_eq!(prepaid(&n, USER).balance, 1_000_000 - fee);
    // Rewards are claimable once.
    let before = n.balance(&n.keys[ALICE].address());
    let c = n.ok(ALICE, Payload::Inference(InferenceTx::ClaimRewards));
    assert_eq!(n.balance(&n.keys[ALICE].address()), before + contributors - c.fee);
    assert_eq!(
        n.fails(ALICE, Payload::Inference(InferenceTx::ClaimRewards)),
        InferenceFailure::NothingToClaim
    );
    assert_eq!(n.balance(&rewards_pool()), 0);
}

#[test]
fn answers_from_two_contributions_split_by_weight_and_unmatched_ones_go_to_the_datanet() {
    let mut n = setup();
    let answer = "The Danube flows through ten countries before it reaches the Black Sea, and \
                  Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water.";
    let r = pay(&mut n, "req-2", answer, 10);
    let (_, parts) = settled(&r.events);
    let (a, b) = (rewards(&n, ALICE), rewards(&n, BOB));
    assert!(a > 0 && b > 0, "both contributed: {a} {b}");
    assert_eq!(a + b, parts[3], "contributors' share split exactly");
    // No span matches: the contributors' share goes to the datanet's owner.
    let r = pay(&mut n, "req-3", "Completely unrelated words about volcanoes.", 5);
    let (_, parts) = settled(&r.events);
    assert_eq!(rewards(&n, OWNER), parts[3]);
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::Inference(InferenceEvent::RewardAccrued {
            contribution: u64::MAX,
            ..
        })
    )));
}

/// The share of an answer nothing matches goes to the lineage's datanet owners by the bytes of
/// their versions: a model owner adding a token datanet of its own earns a token share.
#[test]
fn unmatched_answers_pay_datanet_owners_by_bytes() {
    use common::{create, with_datanet};
    use sinew_types::datanet::CurationPolicy;
    let mut n = setup();
    n.ok(BOB, create(CurationPolicy::Open, false));
    let (_, tiny) = n.blob("Bob's own note.");
    n.ok(BOB, with_datanet(tiny, 1));
    n.ok(BOB, PublishVersion { datanet: 1 }.into());
    let mut info = model_info("mixed-lm");
    info.datanets = vec![(0, 1), (1, 1)];
    let provider = n.keys[PROVIDER].address();
    n.ok(
        BOB,
        RegisterModel {
            info,
            provider,
            pricing: PRICING,
            split: SPLIT,
        }
        .into(),
    );
    n.ok(PROVIDER, ServeModel { model: 1, serve: true }.into());
    let (owner, bob) = (rewards(&n, OWNER), rewards(&n, BOB));
    n.ok(PROVIDER, reserve_on(&n, 1, "sk-user", "mixed", 10_000, 100));
    let r = n.ok(
        PROVIDER,
        settle_on(&n, 1, "mixed", "Volcanoes erupt with lava and ash."),
    );
    let (_, parts) = settled(&r.events);
    let (to_owner, to_bob) = (rewards(&n, OWNER) - owner, rewards(&n, BOB) - bob);
    assert_eq!(to_owner + to_bob, parts[3]);
    let (big, small) = (
        (common::RIVERS.len() + common::LAKES.len()) as u128,
        "Bob's own note.".len() as u128,
    );
    let expected = sinew_types::inference::split_exact(parts[3], &[big, small]);
    assert_eq!(vec![to_owner, to_bob], expected, "by bytes");
}

/// Hole 1 of issue 10: before, any registered provider could sign a settlement naming any API
/// key (they are public) and drain its prepaid balance. Now the payer's scope decides who may
/// charge it, for which models, and how much.
#[test]
fn a_provider_cannot_charge_a_key_that_did_not_name_it() {
    let mut n = setup();
    // A second provider (Bob) with a model of its own.
    n.ok(BOB, Stake { amount: 10_000 }.into());
    n.ok(
        BOB,
        RegisterProvider {
            name: "thief".into(),
            endpoint: "builtin".into(),
        }
        .into(),
    );
    let bob = n.keys[BOB].address();
    n.ok(
        BOB,
        RegisterModel {
            info: model_info("bob-lm"),
            provider: bob,
            pricing: Pricing {
                input_per_1k: 1_000_000,
                output_per_1k: 1_000_000,
            },
            split: SPLIT,
        }
        .into(),
    );
    assert!(model(&n, 1).served, "a provider's own model needs no acceptance");
    // Bob names the user's key: refused, nothing held.
    assert_eq!(
        n.fails(BOB, reserve_on(&n, 1, "sk-user", "steal", 1, 1)),
        InferenceFailure::OutOfScope
    );
    // Bob cannot reserve on the user's provider's model either (only its provider reserves).
    assert_eq!(
        n.fails(BOB, reserve(&n, "steal-2", 1, 1)),
        InferenceFailure::NotProvider
    );
    // A settlement with no reservation is not included at all.
    assert!(matches!(
        n.run(BOB, settle(&n, "steal", "the Danube")),
        Err(TxRejection::NoReservation(_))
    ));
    assert_eq!(prepaid(&n, USER).balance, 1_000_000);
    assert_eq!(prepaid(&n, USER).held, 0);
    // The per-request cap binds even the key's own provider.
    let capped = KeyScope {
        max_fee_per_request: 100,
        ..user_scope(&n)
    };
    n.ok(
        USER,
        RegisterApiKey {
            key_hash: api_key_hash("sk-capped"),
            scope: capped,
        }
        .into(),
    );
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 0, "sk-capped", "big", 10, 1_000)),
        InferenceFailure::OverRequestCap
    );
    n.ok(PROVIDER, reserve_on(&n, 0, "sk-capped", "small", 10, 40));
    // A key restricted to other models.
    let only = KeyScope {
        models: vec![7],
        ..user_scope(&n)
    };
    n.ok(
        USER,
        RegisterApiKey {
            key_hash: api_key_hash("sk-only-7"),
            scope: only,
        }
        .into(),
    );
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 0, "sk-only-7", "m", 1, 1)),
        InferenceFailure::OutOfScope
    );
    // A spend limit counts what is held as well as what was spent.
    let limited = KeyScope {
        spend_limit: 100,
        ..user_scope(&n)
    };
    n.ok(
        USER,
        RegisterApiKey {
            key_hash: api_key_hash("sk-limited"),
            scope: limited,
        }
        .into(),
    );
    n.ok(PROVIDER, reserve_on(&n, 0, "sk-limited", "l1", 10, 30));
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 0, "sk-limited", "l2", 10, 30)),
        InferenceFailure::SpendLimit
    );
    assert_eq!(
        n.fails(
            USER,
            RegisterApiKey {
                key_hash: api_key_hash("sk-limited"),
                scope: user_scope(&n)
            }
            .into()
        ),
        InferenceFailure::KeyExists
    );
    // Scopes that name no provider, or a cap of zero, are refused outright.
    for bad in [
        KeyScope {
            providers: vec![],
            ..user_scope(&n)
        },
        KeyScope {
            max_fee_per_request: 0,
            ..user_scope(&n)
        },
    ] {
        assert!(matches!(
            n.run(
                USER,
                RegisterApiKey {
                    key_hash: api_key_hash("sk-bad"),
                    scope: bad
                }
                .into()
            ),
            Err(TxRejection::InvalidInference(_))
        ));
    }
}

/// The fee is fixed when the request is reserved: a price raise reaches only later requests,
/// answer tokens are recounted by the ledger, and the fee never exceeds the hold.
#[test]
fn the_fee_never_exceeds_what_was_reserved() {
    let mut n = setup();
    n.ok(PROVIDER, reserve(&n, "old-price", 100, 50));
    let quoted = reserve(&n, "stale-quote", 100, 50);
    // The owner raises prices tenfold after the reservation.
    n.ok(
        OWNER,
        UpdateModel {
            model: 0,
            pricing: Some(Pricing {
                input_per_1k: 10_000,
                output_per_1k: 20_000,
            }),
            status: None,
        }
        .into(),
    );
    let answer = "Danube and Baikal.";
    let r = n.ok(PROVIDER, settle(&n, "old-price", answer));
    let (fee, _) = settled(&r.events);
    assert_eq!(fee, PRICING.price(100, answer.len() as u64).unwrap() + 10, "old prices");
    // A quote made before the raise no longer covers the request: refused, nothing held.
    assert_eq!(n.fails(PROVIDER, quoted), InferenceFailure::PriceChanged);
    // An answer longer than the reserved tokens is never charged beyond the hold.
    n.ok(PROVIDER, reserve(&n, "short", 10, 5));
    assert_eq!(
        n.fails(PROVIDER, settle(&n, "short", "far more than five bytes")),
        InferenceFailure::TooManyTokens
    );
    assert_eq!(prepaid(&n, USER).balance, 1_000_000 - fee);
}

/// Hole 8 of issue 10: a payer who revoked its key or withdrew during generation made the
/// settlement fail, then read the answer from the block. Once held, nothing the payer does can
/// make the settlement fail; a settlement whose hold is gone is never included.
#[test]
fn once_reserved_nothing_the_payer_does_makes_the_settlement_fail() {
    let mut n = setup();
    n.ok(PROVIDER, reserve(&n, "in-flight", 100, 100));
    let held = prepaid(&n, USER).held;
    // The payer revokes its key, withdraws everything it can, and tries to withdraw the rest.
    n.ok(
        USER,
        RevokeApiKey {
            key_hash: api_key_hash("sk-user"),
        }
        .into(),
    );
    let available = prepaid(&n, USER).available();
    n.ok(USER, WithdrawPrepaid { amount: available }.into());
    assert_eq!(
        n.fails(USER, WithdrawPrepaid { amount: 1 }.into()),
        InferenceFailure::InsufficientPrepaid
    );
    // New requests on the revoked key are refused...
    assert_eq!(
        n.fails(PROVIDER, reserve(&n, "after-revoke", 1, 1)),
        InferenceFailure::RevokedKey
    );
    // ...but the one in flight settles, even after the withdrawal matured.
    n.advance(4);
    let answer = "The Danube flows through ten countries.";
    let r = n.ok(PROVIDER, settle(&n, "in-flight", answer));
    let (fee, _) = settled(&r.events);
    let p = prepaid(&n, USER);
    assert_eq!((p.balance, p.held, p.withdrawing), (held - fee, 0, 0));
    assert_eq!(n.balance(&prepaid_escrow()), held - fee);
}

/// An abandoned hold returns to the payer: released by its provider, or by the ledger when it
/// expires; a settlement after that is not included (its answer never reaches a block).
#[test]
fn holds_are_released_by_their_provider_or_at_expiry() {
    let mut n = setup();
    let authority = OWNER;
    n.ok(
        authority,
        SetParams {
            update: sinew_types::ParamsUpdate {
                inference_hold_blocks: Some(10),
                ..Default::default()
            },
        }
        .into(),
    );
    n.ok(PROVIDER, reserve(&n, "given-up", 100, 100));
    n.ok(PROVIDER, reserve(&n, "forgotten", 100, 100));
    assert_eq!(
        n.fails(
            USER,
            ReleaseHold {
                request_id: Hash::of(b"given-up")
            }
            .into()
        ),
        InferenceFailure::NotProvider
    );
    n.ok(
        PROVIDER,
        ReleaseHold {
            request_id: Hash::of(b"given-up"),
        }
        .into(),
    );
    assert_eq!(
        n.fails(
            PROVIDER,
            ReleaseHold {
                request_id: Hash::of(b"given-up")
            }
            .into()
        ),
        InferenceFailure::NoHold
    );
    assert!(prepaid(&n, USER).held > 0);
    n.advance(10);
    let hold: Option<Hold> = read(&n.state, &StateKey::Hold(Hash::of(b"forgotten"))).unwrap();
    assert!(hold.is_none(), "expired");
    let p = prepaid(&n, USER);
    assert_eq!((p.balance, p.held), (1_000_000, 0));
    assert_eq!(key(&n, "sk-user").held, 0);
    assert!(matches!(
        n.run(PROVIDER, settle(&n, "forgotten", "the Danube")),
        Err(TxRejection::NoReservation(_))
    ));
    // A request released and reserved again keeps its new hold past the old one's expiry.
    n.ok(PROVIDER, reserve(&n, "again", 10, 10));
    n.advance(4);
    n.ok(
        PROVIDER,
        ReleaseHold {
            request_id: Hash::of(b"again"),
        }
        .into(),
    );
    n.ok(PROVIDER, reserve(&n, "again", 10, 10));
    n.advance(6);
    let hold: Option<Hold> = read(&n.state, &StateKey::Hold(Hash::of(b"again"))).unwrap();
    assert!(
        hold.is_some(),
        "the first reservation's expiry does not release the second"
    );
    n.advance(5);
    let hold: Option<Hold> = read(&n.state, &StateKey::Hold(Hash::of(b"again"))).unwrap();
    assert!(hold.is_none(), "the second expires at its own time");
}

/// The stronger mode: a key that pays only for requests carrying the payer's signed voucher.
#[test]
fn voucher_keys_pay_only_for_what_the_payer_signed() {
    let mut n = setup();
    let payer_key = Keypair::dev("user-voucher");
    let scope = KeyScope {
        voucher_key: Some(payer_key.address()),
        ..user_scope(&n)
    };
    n.ok(
        USER,
        RegisterApiKey {
            key_hash: api_key_hash("sk-voucher"),
            scope,
        }
        .into(),
    );
    let key_hash = api_key_hash("sk-voucher");
    let with = |p: Payload, v: Option<Voucher>| match p {
        Payload::Inference(InferenceTx::ReserveInference(ReserveInference {
            api_key,
            request_id,
            model,
            prompt_hash,
            input_tokens,
            max_output_tokens,
            max_fee,
            ..
        })) => ReserveInference {
            api_key,
            request_id,
            model,
            prompt_hash,
            input_tokens,
            max_output_tokens,
            max_fee,
            voucher: v,
        }
        .into(),
        _ => unreachable!(),
    };
    let base = |n: &Net, r: &str| reserve_on(n, 0, "sk-voucher", r, 10, 10);
    let voucher = |r: &str, max_fee: u128, until: u64, k: &Keypair| {
        Voucher::sign(k, "sinew-test", &key_hash, Hash::of(r.as_bytes()), 0, max_fee, until)
    };
    // The bearer key alone pays nothing.
    assert_eq!(n.fails(PROVIDER, base(&n, "v0")), InferenceFailure::VoucherRequired);
    // A voucher signed by someone else, for less than the price, or expired: refused.
    let h = n.height();
    let forged = voucher("v1", 1_000, h + 10, &Keypair::dev("mallory"));
    assert_eq!(
        n.fails(PROVIDER, with(base(&n, "v1"), Some(forged))),
        InferenceFailure::BadVoucher
    );
    let cheap = voucher("v2", 5, h + 10, &payer_key);
    assert_eq!(
        n.fails(PROVIDER, with(base(&n, "v2"), Some(cheap))),
        InferenceFailure::OverVoucher
    );
    let old = voucher("v3", 1_000, h, &payer_key);
    assert_eq!(
        n.fails(PROVIDER, with(base(&n, "v3"), Some(old))),
        InferenceFailure::VoucherExpired
    );
    // A voucher for another request cannot be reused.
    let other = voucher("v4", 1_000, h + 10, &payer_key);
    assert!(matches!(
        n.run(PROVIDER, with(base(&n, "v5"), Some(other.clone()))),
        Err(TxRejection::InvalidInference(_))
    ));
    // The signed one holds, settles, and cannot be used twice.
    n.ok(PROVIDER, with(base(&n, "v4"), Some(other.clone())));
    n.ok(PROVIDER, settle(&n, "v4", "Danube"));
    assert_eq!(
        n.fails(PROVIDER, with(base(&n, "v4"), Some(other))),
        InferenceFailure::RequestExists
    );
    // A key without a voucher key refuses vouchers (they would check nothing).
    let v = Voucher::sign(
        &payer_key,
        "sinew-test",
        &api_key_hash("sk-user"),
        Hash::of(b"v6"),
        0,
        1_000,
        h + 10,
    );
    assert_eq!(
        n.fails(PROVIDER, with(reserve(&n, "v6", 10, 10), Some(v))),
        InferenceFailure::NoVoucherKey
    );
}

/// Hole 7 of issue 10: before, anyone could point a model at any provider (with their own
/// prices and a squatted name) and the provider paid every settlement's fee. Now a model takes
/// requests only once its provider accepts it, and the provider can stop serving it.
#[test]
fn a_model_takes_requests_only_while_its_provider_serves_it() {
    let mut n = setup();
    let provider = n.keys[PROVIDER].address();
    n.ok(
        ALICE,
        RegisterModel {
            info: model_info("squatter-lm"),
            provider,
            pricing: PRICING,
            split: SPLIT,
        }
        .into(),
    );
    assert!(!model(&n, 1).served);
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 1, "sk-user", "s1", 1, 1)),
        InferenceFailure::ModelUnavailable
    );
    assert_eq!(
        n.fails(ALICE, ServeModel { model: 1, serve: true }.into()),
        InferenceFailure::NotProvider
    );
    n.ok(PROVIDER, ServeModel { model: 1, serve: true }.into());
    n.ok(PROVIDER, reserve_on(&n, 1, "sk-user", "s2", 1, 10));
    // Delisting stops new requests; the one in flight still settles.
    n.ok(PROVIDER, ServeModel { model: 1, serve: false }.into());
    assert_eq!(
        n.fails(PROVIDER, ServeModel { model: 1, serve: false }.into()),
        InferenceFailure::Unchanged
    );
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 1, "sk-user", "s3", 1, 1)),
        InferenceFailure::ModelUnavailable
    );
    n.ok(PROVIDER, settle_on(&n, 1, "s2", "Danube"));
}

/// A provider that unstaked below the minimum after registering serves nothing.
#[test]
fn a_provider_must_keep_its_stake_to_serve() {
    let mut n = setup();
    n.ok(PROVIDER, Unstake { amount: 1 }.into());
    assert_eq!(
        n.fails(PROVIDER, reserve(&n, "r", 1, 1)),
        LedgerFailure::InsufficientStake
    );
    n.ok(PROVIDER, Stake { amount: 1 }.into());
    n.ok(PROVIDER, reserve(&n, "r", 1, 1));
}

#[test]
fn bad_settlements_fail_and_charge_nobody() {
    let mut n = setup();
    let answer = "the Danube flows through ten countries before it reaches the Black Sea";
    n.ok(PROVIDER, reserve(&n, "req-f", 1, 100));
    // A forged receipt: fails (the provider pays the fee), the payer is not charged and the
    // hold stays for a correct settlement.
    let mut forged = settle(&n, "req-f", answer);
    if let Payload::Inference(InferenceTx::SettleInference(SettleInference { receipt, .. })) = &mut forged {
        *receipt = Hash::of(b"forged");
    }
    assert_eq!(n.fails(PROVIDER, forged), InferenceFailure::ReceiptMismatch);
    // A stale receipt: computed for another answer.
    let stale = settle(
        &n,
        "req-f",
        "Lake Baikal in Siberia holds about a fifth of the unfrozen water",
    );
    let mut stale2 = settle(&n, "req-f", answer);
    if let (
        Payload::Inference(InferenceTx::SettleInference(SettleInference { receipt: a, .. })),
        Payload::Inference(InferenceTx::SettleInference(SettleInference { receipt: b, .. })),
    ) = (&stale, &mut stale2)
    {
        *b = *a;
    }
    assert_eq!(n.fails(PROVIDER, stale2), InferenceFailure::ReceiptMismatch);
    assert_eq!(prepaid(&n, USER).balance, 1_000_000, "nobody was charged");
    // Only the provider that reserved settles; others are not included at all.
    assert!(matches!(
        n.run(USER, settle(&n, "req-f", answer)),
        Err(TxRejection::NoReservation(_))
    ));
    n.ok(PROVIDER, settle(&n, "req-f", answer));
    // Reservations that cannot be: unknown model, unknown key, more than the prepaid balance.
    let mut unknown = reserve(&n, "req-m", 1, 1);
    if let Payload::Inference(InferenceTx::ReserveInference(ReserveInference { model, .. })) = &mut unknown {
        *model = 9;
    }
    assert_eq!(n.fails(PROVIDER, unknown), InferenceFailure::UnknownModel);
    assert_eq!(
        n.fails(PROVIDER, reserve_on(&n, 0, "sk-nobody", "req-k", 1, 1)),
        InferenceFailure::UnknownKey
    );
    n.ok(USER, WithdrawPrepaid { amount: 900_000 }.into());
    assert_eq!(
        n.fails(PROVIDER, reserve(&n, "req-big", 1, 100_000)),
        InferenceFailure::InsufficientPrepaid
    );
    let mut zero = reserve(&n, "req-z", 1, 1);
    if let Payload::Inference(InferenceTx::ReserveInference(ReserveInference { max_output_tokens, .. })) = &mut zero {
        *max_output_tokens = 0;
    }
    assert!(matches!(n.run(PROVIDER, zero), Err(TxRejection::InvalidInference(_))));
    // A paused model takes no reservations; only its owner may pause it.
    assert_eq!(
        n.fails(
            USER,
            UpdateModel {
                model: 0,
                pricing: None,
                status: Some(ModelStatus::Paused)
            }
            .into()
        ),
        LedgerFailure::NotOwner
    );
    n.ok(
        OWNER,
        UpdateModel {
            model: 0,
            pricing: None,
            status: Some(ModelStatus::Paused),
        }
        .into(),
    );
    assert_eq!(
        n.fails(PROVIDER, reserve(&n, "req-p", 1, 1)),
        InferenceFailure::ModelUnavailable
    );
}

#[test]
fn prepaid_withdrawals_wait_and_exclude_what_is_held() {
    let mut n = setup();
    n.ok(PROVIDER, reserve(&n, "h", 100_000, 100_000));
    let held = prepaid(&n, USER).held;
    assert_eq!(held, 300_010);
    // A withdrawal returns after the unbonding period; meanwhile it is not available to reserve.
    n.ok(USER, WithdrawPrepaid { amount: 400_000 }.into());
    assert_eq!(prepaid(&n, USER).available(), 600_000 - held);
    assert_eq!(
        n.fails(USER, WithdrawPrepaid { amount: 600_001 - held }.into()),
        InferenceFailure::InsufficientPrepaid
    );
    let before = n.balance(&n.keys[USER].address());
    let escrow = n.balance(&prepaid_escrow());
    n.advance(3);
    assert_eq!(prepaid(&n, USER).balance, 600_000);
    assert_eq!(n.balance(&n.keys[USER].address()), before + 400_000);
    assert_eq!(n.balance(&prepaid_escrow()), escrow - 400_000);
    assert_eq!(prepaid(&n, USER).held, held, "the hold is untouched");
}

#[test]
fn bad_registrations_are_refused_or_fail_cleanly() {
    let mut n = setup();
    let provider = n.keys[PROVIDER].address();
    let model = |info: ModelInfo, split: Split| {
        RegisterModel {
            info,
            provider,
            pricing: PRICING,
            split,
        }
        .into()
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
        n.run(USER, DepositPrepaid { amount: 0 }.into()),
        Err(TxRejection::ZeroAmount)
    ));
    refused(
        &mut n,
        USER,
        RegisterProvider {
            name: "x".into(),
            endpoint: "ftp://nope".into(),
        }
        .into(),
    );
    // Stateful: a taken name, an unknown version, an unknown provider, a provider without stake.
    assert_eq!(
        n.fails(OWNER, model(model_info("river-lm"), SPLIT)),
        InferenceFailure::NameTaken
    );
    let mut v = model_info("m2");
    v.datanets = vec![(0, 7)];
    assert_eq!(n.fails(OWNER, model(v, SPLIT)), InferenceFailure::UnknownDatanetVersion);
    assert_eq!(
        n.fails(
            OWNER,
            RegisterModel {
                info: model_info("m3"),
                provider: Address::default(),
                pricing: PRICING,
                split: SPLIT
            }
            .into()
        ),
        InferenceFailure::UnknownProvider
    );
    assert_eq!(
        n.fails(
            USER,
            RegisterProvider {
                name: "poor".into(),
                endpoint: "builtin".into()
            }
            .into()
        ),
        LedgerFailure::InsufficientStake
    );
    assert_eq!(
        n.fails(
            PROVIDER,
            RegisterProvider {
                name: "again".into(),
                endpoint: "builtin".into()
            }
            .into()
        ),
        LedgerFailure::AlreadyRegistered
    );
    // Lineage is queryable both ways.
    let by_datanet: Option<()> = read(&n.state, &StateKey::ModelsByDatanet(0, 0)).unwrap();
    assert!(by_datanet.is_some());
    let m: Model = read(&n.state, &StateKey::Model(0)).unwrap().unwrap();
    assert_eq!(m.info.datanets, vec![(0, 1)]);
}

#[test]
fn a_providers_stakers_share_its_part_of_every_fee_by_stake() {
    use sinew_state::accounts::provider_delegations;
    use sinew_state::inference::provider_split;
    let mut n = setup();
    let provider = n.keys[PROVIDER].address();
    n.ok(
        ALICE,
        DelegateToProvider {
            provider,
            amount: 30_000,
        }
        .into(),
    );
    n.ok(
        BOB,
        DelegateToProvider {
            provider,
            amount: 10_000,
        }
        .into(),
    );
    assert_eq!(n.balance(&provider_delegations()), 40_000);
    let not_provider = n.keys[USER].address();
    assert_eq!(
        n.fails(
            ALICE,
            DelegateToProvider {
                provider: not_provider,
                amount: 5
            }
            .into()
        ),
        InferenceFailure::UnknownProvider
    );
    assert_eq!(
        n.fails(PROVIDER, DelegateToProvider { provider, amount: 5 }.into()),
        InferenceFailure::SelfDelegation
    );
    assert_eq!(
        n.fails(USER, UndelegateFromProvider { provider, amount: 5 }.into()),
        InferenceFailure::NoStake
    );
    assert_eq!(
        n.fails(
            BOB,
            UndelegateFromProvider {
                provider,
                amount: 10_001
            }
            .into()
        ),
        LedgerFailure::InsufficientStake
    );
    let (alice, bob) = (rewards(&n, ALICE), rewards(&n, BOB));
    let before = n.balance(&provider);
    // No span matches this answer, so Alice and Bob earn only as stakers.
    let r = pay(&mut n, "req-stake", "Nothing here matches the data.", 500);
    let (_, parts) = settled(&r.events);
    let mut stakers = vec![
        Delegation {
            staker: n.keys[ALICE].address(),
            amount: 30_000,
        },
        Delegation {
            staker: n.keys[BOB].address(),
            amount: 10_000,
        },
    ];
    stakers.sort_by_key(|s| s.staker);
    let shares = provider_split(parts[2], 10_000, &stakers);
    assert_eq!(
        shares.iter().sum::<u128>(),
        parts[2],
        "the provider's part splits exactly"
    );
    let share_of = |who: usize| shares[1 + stakers.iter().position(|s| s.staker == n.keys[who].address()).unwrap()];
    assert_eq!(rewards(&n, ALICE) - alice, share_of(ALICE));
    assert_eq!(rewards(&n, BOB) - bob, share_of(BOB));
    assert!(
        share_of(ALICE) > share_of(BOB) * 2,
        "three times the stake, three times the share"
    );
    assert_eq!(n.balance(&provider), before + shares[0] - r.fee - reserve_fee(&n));
    // Withdrawn stake unbonds like own stake.
    let (bal, fees) = (n.balance(&n.keys[BOB].address()), n.fees[BOB]);
    n.ok(
        BOB,
        UndelegateFromProvider {
            provider,
            amount: 10_000,
        }
        .into(),
    );
    assert_eq!(n.balance(&provider_delegations()), 30_000);
    n.advance(3);
    assert_eq!(n.balance(&n.keys[BOB].address()), bal + 10_000 - (n.fees[BOB] - fees));
}

/// The fee of the reservation `pay` signs just before its settlement (same size every time).
fn reserve_fee(n: &Net) -> u128 {
    let p = reserve(n, "x", 500, 40);
    let tx = sinew_types::Transaction {
        chain_id: "sinew-test".into(),
        signer: n.keys[PROVIDER].address(),
        nonce: 0,
        max_fee: 10_000_000,
        payload: p,
    };
    params(n).fee_for(n.keys[PROVIDER].sign(tx).encode().len())
}

/// Issue 10, 13: 64 dust delegations used to lock real stakers out of a provider; now a larger
/// delegation takes the smallest one's place (which unbonds back to its owner).
#[test]
fn dust_delegations_cannot_lock_stakers_out() {
    use sinew_state::inference::MAX_DELEGATORS;
    let mut n = Net::with_keys(MAX_DELEGATORS + 6);
    common::with_model(&mut n);
    let provider = n.keys[PROVIDER].address();
    for who in 5..5 + MAX_DELEGATORS {
        n.ok(
            who,
            DelegateToProvider {
                provider,
                amount: 1 + who as u128,
            }
            .into(),
        );
    }
    let late = 5 + MAX_DELEGATORS;
    assert_eq!(
        n.fails(late, DelegateToProvider { provider, amount: 6 }.into()),
        InferenceFailure::TooManyStakers,
        "no larger than the smallest (6)"
    );
    let r = n.ok(
        late,
        DelegateToProvider {
            provider,
            amount: 1_000,
        }
        .into(),
    );
    let evicted = n.keys[5].address();
    assert!(r.events.iter().any(
        |e| matches!(e, Event::Inference(InferenceEvent::Delegation { delegator, delegate: false, amount: 6, .. }) if *delegator == evicted)
    ));
    let stakers: Vec<Delegation> = read(&n.state, &StateKey::ProviderDelegators(provider))
        .unwrap()
        .unwrap();
    assert_eq!(stakers.len(), MAX_DELEGATORS);
    assert!(stakers.iter().any(|s| s.staker == n.keys[late].address()));
    assert!(!stakers.iter().any(|s| s.staker == evicted));
    let before = n.balance(&evicted);
    n.advance(3);
    assert_eq!(n.balance(&evicted), before + 6, "the evicted stake came back");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any prices, token counts and split: the fee is charged once, never beyond its hold, its
    /// parts sum to it exactly, the contributors' rewards sum to their part, and supply is
    /// conserved (checked by the harness after every block).
    #[test]
    fn every_fee_splits_exactly_and_supply_is_conserved(
        settlements in proptest::collection::vec((0u64..5_000, 0usize..3), 1..6),
        rates in (0u128..50_000, 0u128..50_000),
        owner_bps in 0u16..=4_000,
        provider_bps in 0u16..=5_000,
    ) {
        let mut n = setup();
        // Model 0 is paused; model 1 (same lineage, the provider's own) has the drawn prices.
        n.ok(OWNER, UpdateModel { model: 0, pricing: None, status: Some(ModelStatus::Paused) }.into());
        let provider = n.keys[PROVIDER].address();
        let split = Split { owner_bps, provider_bps, contributors_bps: 10_000 - owner_bps - provider_bps };
        let pricing = Pricing { input_per_1k: rates.0, output_per_1k: rates.1 };
        n.ok(PROVIDER, RegisterModel { info: model_info("prop-lm"), provider, pricing, split }.into());
        let answers = [
            "the Danube flows through ten countries before it reaches the Black Sea",
            "Lake Baikal in Siberia holds about a fifth of the unfrozen fresh water on the planet",
            "nothing that matches",
        ];
        for (i, (tin, a)) in settlements.into_iter().enumerate() {
            let before = prepaid(&n, USER).balance;
            let r = n.run(PROVIDER, reserve_on(&n, 1, "sk-user", &format!("p{i}"), tin, 100)).unwrap();
            match r.status {
                TxStatus::Success => {
                    let held = prepaid(&n, USER).held;
                    let r = n.run(PROVIDER, settle_on(&n, 1, &format!("p{i}"), answers[a])).unwrap();
                    prop_assert_eq!(&r.status, &TxStatus::Success);
                    let (fee, parts) = settled(&r.events);
                    prop_assert!(fee <= held);
                    prop_assert_eq!(parts.iter().sum::<u128>(), fee);
                    let accrued: u128 = r.events.iter().map(|e| match e { Event::Inference(InferenceEvent::RewardAccrued { amount, .. }) => *amount, _ => 0 }).sum();
                    prop_assert_eq!(accrued, parts[3]);
                    prop_assert_eq!(prepaid(&n, USER).balance, before - fee);
                    prop_assert_eq!(prepaid(&n, USER).held, 0);
                }
                TxStatus::Failed { code, .. } => {
                    prop_assert!(code == InferenceFailure::InsufficientPrepaid || code == InferenceFailure::OverRequestCap, "{}", code);
                    prop_assert_eq!(prepaid(&n, USER).balance, before);
                }
            }
        }
    }
}

#[test]
fn the_ledger_check_catches_a_request_both_held_and_settled() {
    let mut n = setup();
    n.ok(PROVIDER, reserve(&n, "held", 10, 20));
    assert_eq!(sinew_testkit::check_ledger(&n.state), Ok(()));
    // A settlement record beside a live hold: the request could be charged twice.
    let settled = StateKey::Settled(Hash::of(b"held")).encode();
    n.state.map.insert(settled, vec![0]);
    let err = sinew_testkit::check_ledger(&n.state).unwrap_err();
    assert!(err.contains("settled and still holds funds"), "{err}");
}
