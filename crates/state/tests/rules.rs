//! Transaction rules: every rejected input gives its specific error and changes nothing; failures
//! charge only the fee and nonce; successes do what they say.

use sinew_state::accounts::treasury;
use sinew_state::read;
use sinew_state::{Account, BlockError, Chain, MemState, StateKey, TxRejection};
use sinew_testkit::{supply, test_genesis, total_held};
use sinew_types::failure::LedgerFailure;
use sinew_types::payload::{SetParams, Stake, Transfer, Unstake};
use sinew_types::{Address, Keypair, ParamsUpdate, Payload, Receipt, Transaction, TxStatus};

struct Net {
    chain: Chain,
    state: MemState,
    keys: Vec<Keypair>,
}

impl Net {
    fn new() -> Net {
        let (g, keys) = test_genesis(4, 1_000_000);
        let (mut chain, gb) = Chain::from_genesis(&g, 8).unwrap();
        let mut state = MemState::default();
        state.apply(&gb.effects.writes);
        chain.commit(gb);
        Net { chain, state, keys }
    }

    fn tx(&self, who: usize, nonce: u64, payload: Payload) -> Transaction {
        Transaction {
            chain_id: "sinew-test".into(),
            signer: self.keys[who].address(),
            nonce,
            max_fee: 100_000,
            payload,
        }
    }

    fn account(&self, who: usize) -> Account {
        self.account_of(&self.keys[who].address())
    }

    fn account_of(&self, a: &Address) -> Account {
        read(&self.state, &StateKey::Account(*a)).unwrap().unwrap_or_default()
    }

    /// Proposes a block with `txs`; commits it; returns receipts and rejections.
    fn block(&mut self, txs: Vec<Transaction>) -> (Vec<Receipt>, Vec<TxRejection>) {
        let prepared: Vec<_> = txs
            .into_iter()
            .map(|t| {
                let k = self.keys.iter().find(|k| k.address() == t.signer).unwrap();
                k.sign(t).prepare()
            })
            .collect();
        let (ex, rejected) = self
            .chain
            .propose(&self.state, &sinew_state::NoBlobs, &prepared, 0, Address::default())
            .unwrap();
        let receipts = ex.effects.receipts.clone();
        self.state.apply(&ex.effects.writes);
        self.chain.commit(ex);
        assert_eq!(total_held(&self.state), supply(&self.state));
        (receipts, rejected.into_iter().map(|(_, r)| r).collect())
    }

    fn rejects(&mut self, t: Transaction) -> TxRejection {
        let before = self.state.clone();
        let (receipts, mut rejected) = self.block(vec![t]);
        assert!(receipts.is_empty());
        assert_eq!(rejected.len(), 1);
        assert_eq!(before, self.state, "a rejected transaction changes nothing");
        rejected.remove(0)
    }
}

fn transfer(to: Address, amount: u128) -> Payload {
    Transfer { to, amount }.into()
}

#[test]
fn transfer_moves_tokens_and_charges_the_fee() {
    let mut n = Net::new();
    let to = n.keys[1].address();
    let (r, rej) = n.block(vec![n.tx(0, 0, transfer(to, 500))]);
    assert!(rej.is_empty());
    assert_eq!(r[0].status, TxStatus::Success);
    let fee = r[0].fee;
    assert!(fee > 0);
    assert_eq!(n.account(0).balance, 1_000_000 - 500 - fee);
    assert_eq!(n.account(0).nonce, 1);
    assert_eq!(n.account(1).balance, 1_000_500);
    assert_eq!(n.account_of(&treasury()).balance, fee);
}

#[test]
fn failed_transfer_charges_only_fee_and_nonce() {
    let mut n = Net::new();
    let to = n.keys[1].address();
    let (r, _) = n.block(vec![n.tx(0, 0, transfer(to, 5_000_000))]);
    assert!(matches!(&r[0].status, TxStatus::Failed { code, .. } if *code == LedgerFailure::InsufficientBalance));
    assert_eq!(n.account(0).balance, 1_000_000 - r[0].fee);
    assert_eq!(n.account(0).nonce, 1);
    assert_eq!(n.account(1).balance, 1_000_000);
    assert_eq!(r[0].events.len(), 1, "only the fee event");
}

#[test]
fn rejections_leave_no_trace() {
    let mut n = Net::new();
    let me = n.keys[0].address();
    let other = n.keys[1].address();
    let mut t = n.tx(0, 0, transfer(other, 1));
    t.chain_id = "other-chain".into();
    assert!(matches!(n.rejects(t), TxRejection::WrongChain { .. }));
    assert!(matches!(
        n.rejects(n.tx(0, 1, transfer(other, 1))),
        TxRejection::NonceGap { expected: 0, got: 1 }
    ));
    assert!(matches!(
        n.rejects(n.tx(0, 0, transfer(me, 1))),
        TxRejection::SelfTransfer
    ));
    assert!(matches!(
        n.rejects(n.tx(0, 0, transfer(other, 0))),
        TxRejection::ZeroAmount
    ));
    assert!(matches!(
        n.rejects(n.tx(0, 0, Stake { amount: 0 }.into())),
        TxRejection::ZeroAmount
    ));
    let mut t = n.tx(0, 0, transfer(other, 1));
    t.max_fee = 1;
    assert!(matches!(n.rejects(t), TxRejection::FeeTooLow { .. }));
    assert!(matches!(
        n.rejects(
            n.tx(
                1,
                0,
                SetParams {
                    update: ParamsUpdate::default()
                }
                .into()
            )
        ),
        TxRejection::NotAuthority { .. }
    ));
    let bad = ParamsUpdate {
        unbonding_period: Some(0),
        ..Default::default()
    };
    assert!(matches!(
        n.rejects(n.tx(0, 0, SetParams { update: bad }.into())),
        TxRejection::InvalidParams(_)
    ));
    // Replay: include a tx, then submit it again.
    let t = n.tx(0, 0, transfer(other, 1));
    n.block(vec![t.clone()]);
    assert!(matches!(n.rejects(t), TxRejection::NonceTooLow { expected: 1, got: 0 }));
}

#[test]
fn unknown_and_broke_accounts_are_rejected() {
    let mut n = Net::new();
    let stranger = Keypair::dev("stranger");
    n.keys.push(stranger.clone());
    let t = n.tx(4, 0, transfer(n.keys[0].address(), 1));
    assert!(matches!(n.rejects(t), TxRejection::UnknownAccount(a) if a == stranger.address()));
    // Give the stranger 10 units: not enough for a fee.
    n.block(vec![n.tx(0, 0, transfer(stranger.address(), 10))]);
    let t = n.tx(4, 0, transfer(n.keys[0].address(), 1));
    assert!(matches!(n.rejects(t), TxRejection::CannotPayFee { balance: 10, .. }));
}

#[test]
fn amounts_that_would_overflow_fail_cleanly() {
    let mut n = Net::new();
    let (r, _) = n.block(vec![n.tx(0, 0, transfer(n.keys[1].address(), u128::MAX))]);
    assert!(matches!(&r[0].status, TxStatus::Failed { code, .. } if *code == LedgerFailure::InsufficientBalance));
    let (r, _) = n.block(vec![n.tx(0, 1, Stake { amount: u128::MAX }.into())]);
    assert!(matches!(&r[0].status, TxStatus::Failed { .. }));
}

#[test]
fn stake_unbonds_after_the_period() {
    let mut n = Net::new();
    let (r, _) = n.block(vec![n.tx(0, 0, Stake { amount: 1000 }.into())]); // height 1
    assert_eq!(r[0].status, TxStatus::Success);
    assert_eq!(n.account(0).staked, 1000);
    let (r, _) = n.block(vec![n.tx(0, 1, Unstake { amount: 5000 }.into())]);
    assert!(matches!(&r[0].status, TxStatus::Failed { code, .. } if *code == LedgerFailure::InsufficientStake));
    let (r, _) = n.block(vec![n.tx(0, 2, Unstake { amount: 400 }.into())]); // height 3, period 3
    assert_eq!(r[0].status, TxStatus::Success);
    let a = n.account(0);
    assert_eq!(
        (a.staked, a.unbonding.len(), a.unbonding[0].release_height),
        (600, 1, 6)
    );
    let bal = a.balance;
    n.block(vec![]); // 4
    n.block(vec![]); // 5
    assert_eq!(n.account(0).balance, bal);
    n.block(vec![]); // 6: released
    let a = n.account(0);
    assert_eq!((a.balance, a.unbonding.len()), (bal + 400, 0));
}

#[test]
fn set_params_takes_effect_next_block() {
    let mut n = Net::new();
    let update = ParamsUpdate {
        base_fee: Some(5_000),
        ..Default::default()
    };
    let (r, _) = n.block(vec![
        n.tx(0, 0, SetParams { update }.into()),
        n.tx(1, 0, transfer(Address([9; 32]), 1)),
    ]);
    assert_eq!(r.len(), 2);
    let (r2, _) = n.block(vec![n.tx(1, 1, transfer(n.keys[2].address(), 1))]);
    assert_eq!(
        r2[0].fee,
        r[1].fee + 4_000,
        "the base fee rose by 4000 from the next block on"
    );
}

#[test]
fn a_tampered_block_is_refused_and_changes_nothing() {
    let n = Net::new();
    let t = n.keys[0].sign(n.tx(0, 0, transfer(n.keys[1].address(), 5))).prepare();
    let (ex, _) = n
        .chain
        .propose(&n.state, &sinew_state::NoBlobs, [&t], 0, Address::default())
        .unwrap();
    let good = ex.block.clone();
    assert!(n
        .chain
        .validate(&n.state, &sinew_state::NoBlobs, good.clone(), |_| false)
        .is_ok());
    let mut bad = good.clone();
    bad.header.state_root.0[0] ^= 1;
    assert!(matches!(
        n.chain.validate(&n.state, &sinew_state::NoBlobs, bad, |_| false),
        Err(BlockError::HeaderMismatch {
            field: "state_root",
            ..
        })
    ));
    let mut bad = good.clone();
    bad.txs[0].signature.0[0] ^= 1;
    assert!(matches!(
        n.chain.validate(&n.state, &sinew_state::NoBlobs, bad, |_| false),
        Err(BlockError::InvalidTx {
            index: 0,
            rejection: TxRejection::BadSignature(_)
        })
    ));
    let mut bad = good.clone();
    bad.header.height = 5;
    assert!(matches!(
        n.chain.validate(&n.state, &sinew_state::NoBlobs, bad, |_| false),
        Err(BlockError::NotNext { .. })
    ));
    let mut bad = good.clone();
    bad.header.tx_count = 2;
    assert!(matches!(
        n.chain.validate(&n.state, &sinew_state::NoBlobs, bad, |_| false),
        Err(BlockError::HeaderMismatch { field: "tx_count", .. })
    ));
    // A block over the limits is refused before any of its signatures is looked at (a hostile
    // leader cannot make validators check a block's worth of signatures past the cap for free).
    let params: sinew_types::Params = read(&n.state, &StateKey::Params).unwrap().unwrap();
    let mut bad = good;
    bad.txs = vec![bad.txs[0].clone(); params.max_block_txs as usize + 1];
    assert!(matches!(
        n.chain.validate(&n.state, &sinew_state::NoBlobs, bad, |_| panic!(
            "a signature was checked"
        )),
        Err(BlockError::TooManyTxs { .. })
    ));
}

#[test]
fn the_genesis_validator_set_is_in_state_in_index_order() {
    use sinew_state::{read, GenesisValidator, MemState, StateKey};
    use sinew_types::records::Validator;
    let (mut g, _) = test_genesis(2, 1_000);
    g.validators = ["alpha", "beta"]
        .iter()
        .map(|n| GenesisValidator {
            key: sinew_types::Keypair::dev(&format!("validator-{n}")).address(),
            name: n.to_string(),
        })
        .collect();
    let mut state = MemState::default();
    state.apply(&sinew_state::genesis_writes(&g).unwrap());
    let set: Vec<Validator> = read(&state, &StateKey::Validators).unwrap().unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(
        (set[1].index, set[1].name.as_str(), set[1].key),
        (1, "beta", g.validators[1].key)
    );
    // A funded account may not be a validator: the genesis is refused, nothing is written.
    g.validators[0].key = g.accounts[0].address;
    assert!(sinew_state::genesis_writes(&g).is_err());
}
