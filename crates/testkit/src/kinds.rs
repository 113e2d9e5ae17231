//! Every kind of payload, as the generator draws them. [`OpKind::of`] matches every payload
//! variant with no wildcard: a new payload kind does not compile until it has a kind here, and
//! then a generator arm (`ops.rs`).

use sinew_state::Task;
use sinew_types::payload::*;
use sinew_types::task::{TaskStatus, Verification};
use sinew_types::Payload;

/// Every kind of payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum OpKind {
    Transfer,
    Stake,
    Unstake,
    SetParams,
    CreateDatanet,
    Contribute,
    Review,
    PublishVersion,
    UpdateDatanetInfo,
    ExpireContribution,
    RegisterProvider,
    RegisterModel,
    UpdateModel,
    RegisterApiKey,
    RevokeApiKey,
    DepositPrepaid,
    WithdrawPrepaid,
    ReserveInference,
    SettleInference,
    ReleaseHold,
    ServeModel,
    DelegateToProvider,
    UndelegateFromProvider,
    ClaimRewards,
    RegisterAgent,
    UpdateAgent,
    RetireAgent,
    PostTask,
    ClaimTask,
    SubmitResult,
    CancelTask,
    ReviewResult,
    Attest,
    Challenge,
    FinalizeTask,
}

impl OpKind {
    /// All of them, in declaration order.
    pub const ALL: [OpKind; 35] = {
        use OpKind::*;
        [
            Transfer,
            Stake,
            Unstake,
            SetParams,
            CreateDatanet,
            Contribute,
            Review,
            PublishVersion,
            UpdateDatanetInfo,
            ExpireContribution,
            RegisterProvider,
            RegisterModel,
            UpdateModel,
            RegisterApiKey,
            RevokeApiKey,
            DepositPrepaid,
            WithdrawPrepaid,
            ReserveInference,
            SettleInference,
            ReleaseHold,
            ServeModel,
            DelegateToProvider,
            UndelegateFromProvider,
            ClaimRewards,
            RegisterAgent,
            UpdateAgent,
            RetireAgent,
            PostTask,
            ClaimTask,
            SubmitResult,
            CancelTask,
            ReviewResult,
            Attest,
            Challenge,
            FinalizeTask,
        ]
    };

    /// The kind of a payload (exhaustive: a new payload variant must be given a kind here).
    pub fn of(p: &Payload) -> OpKind {
        use OpKind as K;
        match p {
            Payload::Staking(tx) => match tx {
                StakingTx::Transfer(_) => K::Transfer,
                StakingTx::Stake(_) => K::Stake,
                StakingTx::Unstake(_) => K::Unstake,
                StakingTx::SetParams(_) => K::SetParams,
            },
            Payload::Datanet(tx) => match tx {
                DatanetTx::CreateDatanet(_) => K::CreateDatanet,
                DatanetTx::Contribute(_) => K::Contribute,
                DatanetTx::Review(_) => K::Review,
                DatanetTx::PublishVersion(_) => K::PublishVersion,
                DatanetTx::UpdateDatanetInfo(_) => K::UpdateDatanetInfo,
                DatanetTx::ExpireContribution(_) => K::ExpireContribution,
            },
            Payload::Inference(tx) => match tx {
                InferenceTx::RegisterProvider(_) => K::RegisterProvider,
                InferenceTx::RegisterModel(_) => K::RegisterModel,
                InferenceTx::UpdateModel(_) => K::UpdateModel,
                InferenceTx::RegisterApiKey(_) => K::RegisterApiKey,
                InferenceTx::RevokeApiKey(_) => K::RevokeApiKey,
                InferenceTx::DepositPrepaid(_) => K::DepositPrepaid,
                InferenceTx::WithdrawPrepaid(_) => K::WithdrawPrepaid,
                InferenceTx::ReserveInference(_) => K::ReserveInference,
                InferenceTx::SettleInference(_) => K::SettleInference,
                InferenceTx::ReleaseHold(_) => K::ReleaseHold,
                InferenceTx::ServeModel(_) => K::ServeModel,
                InferenceTx::DelegateToProvider(_) => K::DelegateToProvider,
                InferenceTx::UndelegateFromProvider(_) => K::UndelegateFromProvider,
                InferenceTx::ClaimRewards => K::ClaimRewards,
            },
            Payload::Tasks(tx) => match tx {
                TaskTx::RegisterAgent(_) => K::RegisterAgent,
                TaskTx::UpdateAgent(_) => K::UpdateAgent,
                TaskTx::RetireAgent => K::RetireAgent,
                TaskTx::PostTask(_) => K::PostTask,
                TaskTx::ClaimTask(_) => K::ClaimTask,
                TaskTx::SubmitResult(_) => K::SubmitResult,
                TaskTx::CancelTask(_) => K::CancelTask,
                TaskTx::ReviewResult(_) => K::ReviewResult,
                TaskTx::Attest(_) => K::Attest,
                TaskTx::Challenge(_) => K::Challenge,
                TaskTx::FinalizeTask(_) => K::FinalizeTask,
            },
        }
    }

    /// The kind an operation byte draws: every kind, with the steps of a task's life (claim,
    /// submit, review, attest, challenge, finalize) and of a paid request drawn more often, so
    /// whole lifecycles happen.
    pub fn draw(b: u8) -> OpKind {
        use OpKind::*;
        match b % 48 {
            k @ 0..=34 => OpKind::ALL[k as usize],
            35 => Contribute,
            36 => ReserveInference,
            37 => SettleInference,
            38 => PostTask,
            39 | 47 => ClaimTask,
            40 | 41 => SubmitResult,
            42 => ReviewResult,
            43 | 44 => Attest,
            45 => Challenge,
            _ => FinalizeTask,
        }
    }

    /// Tasks this kind of action acts on, when it acts on one in a given state.
    pub(crate) fn wants(self) -> Option<fn(&Task) -> bool> {
        match self {
            OpKind::ClaimTask => Some(|t| t.status == TaskStatus::Open),
            OpKind::SubmitResult => Some(|t| t.status == TaskStatus::Claimed),
            OpKind::ReviewResult => {
                Some(|t| t.status == TaskStatus::Submitted && matches!(t.verification, Verification::Poster { .. }))
            }
            OpKind::Attest => {
                Some(|t| t.status == TaskStatus::Submitted && matches!(t.verification, Verification::Quorum { .. }))
            }
            OpKind::Challenge => {
                Some(|t| t.status == TaskStatus::Submitted && sinew_types::task::recomputable(&t.kind))
            }
            OpKind::FinalizeTask => Some(|t| t.status == TaskStatus::Submitted),
            _ => None,
        }
    }
}
