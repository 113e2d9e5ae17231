//! Publishing an immutable version over every approved contribution so far.

use crate::ctx::Outcome;
use crate::ctx::{fail, Ctx};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::event::DatanetEvent;
use sinew_types::failure::{DatanetFailure, LedgerFailure};
use sinew_types::payload::PublishVersion;
use sinew_types::records::{DatanetVersion, MAX_VERSION_BYTES};
use sinew_types::{merkle, Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn publish(&mut self, signer: &Address, tx: &PublishVersion, events: &mut Vec<Event>) -> Outcome {
        let id = tx.datanet;
        let Some(mut d) = self.datanet(id)? else {
            return fail(DatanetFailure::UnknownDatanet, format!("no datanet {id}"));
        };
        if d.owner != *signer {
            return fail(
                LedgerFailure::NotOwner,
                format!("only the owner {} publishes datanet {id}", d.owner),
            );
        }
        if d.approved == d.published_contributions {
            return fail(
                DatanetFailure::NothingApproved,
                format!("no contribution was approved since version {}", d.versions),
            );
        }
        if d.approved_bytes.saturating_add(d.approved_records) > MAX_VERSION_BYTES {
            return fail(
                DatanetFailure::TooLargeToIndex,
                format!(
                    "a version of {} bytes in {} records would exceed the {MAX_VERSION_BYTES} a version may hold",
                    d.approved_bytes, d.approved_records
                ),
            );
        }
        let new_bytes = d.approved_bytes - d.published_bytes;
        let fee = d.rules.publish_fee_per_byte.saturating_mul(new_bytes as u128);
        self.move_tokens(signer, &crate::accounts::treasury(), fee)
            .map_err(|h| h.recode(DatanetFailure::CannotPayPublishFee, &format!("publish fee of {fee}")))?;
        let root = self
            .get::<merkle::Frontier>(&StateKey::DatanetFrontier(id))?
            .ok_or_else(|| StorageError::new(format!("datanet {id} has approvals but no frontier")))?
            .root();
        d.versions += 1;
        d.published_contributions = d.approved;
        d.published_bytes = d.approved_bytes;
        let v = DatanetVersion {
            datanet: id,
            version: d.versions,
            root,
            contributions: d.approved,
            records: d.approved_records,
            bytes: d.approved_bytes,
            fee,
            height: self.height,
        };
        self.put(&StateKey::DatanetVersion(id, d.versions), &v);
        self.put(&StateKey::Datanet(id), &d);
        events.push(Event::Datanet(DatanetEvent::VersionPublished {
            datanet: id,
            version: d.versions,
            root,
        }));
        Ok(())
    }
}
