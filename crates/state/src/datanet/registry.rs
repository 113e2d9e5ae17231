//! Creating datanets and changing what their owner may change.

use crate::ctx::{fail, Ctx, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use sinew_types::event::DatanetEvent;
use sinew_types::failure::{DatanetFailure, LedgerFailure};
use sinew_types::payload::{CreateDatanet, UpdateDatanetInfo};
use sinew_types::records::Datanet;
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    pub(super) fn datanet(&self, id: u64) -> Result<Option<Datanet>, StorageError> {
        self.get(&StateKey::Datanet(id))
    }

    /// `CreateDatanet`.
    pub(super) fn create_datanet(&mut self, signer: &Address, tx: &CreateDatanet, events: &mut Vec<Event>) -> Outcome {
        let info = &tx.info;
        let rules = &tx.rules;
        let id: u64 = self.get(&StateKey::NextDatanetId)?.unwrap_or(0);
        self.put(&StateKey::NextDatanetId, &(id + 1));
        let d = Datanet {
            id,
            owner: *signer,
            info: info.clone(),
            rules: rules.clone(),
            open: true,
            contributions: 0,
            approved: 0,
            approved_records: 0,
            approved_bytes: 0,
            versions: 0,
            published_contributions: 0,
            published_bytes: 0,
            created_at: self.height,
        };
        self.put(&StateKey::Datanet(id), &d);
        events.push(Event::Datanet(DatanetEvent::DatanetCreated {
            datanet: id,
            owner: *signer,
        }));
        Ok(())
    }

    /// `UpdateDatanetInfo`.
    pub(super) fn update_datanet_info(&mut self, signer: &Address, tx: &UpdateDatanetInfo) -> Outcome {
        let datanet = &tx.datanet;
        let description = &tx.description;
        let tags = &tx.tags;
        let open = &tx.open;
        let Some(mut d) = self.datanet(*datanet)? else {
            return fail(DatanetFailure::UnknownDatanet, format!("no datanet {datanet}"));
        };
        if d.owner != *signer {
            return fail(
                LedgerFailure::NotOwner,
                format!("only the owner {} may change datanet {datanet}", d.owner),
            );
        }
        if let Some(desc) = description {
            d.info.description = desc.clone();
        }
        if let Some(t) = tags {
            d.info.tags = t.clone();
        }
        if let Some(o) = open {
            d.open = *o;
        }
        self.put(&StateKey::Datanet(*datanet), &d);
        Ok(())
    }
}
