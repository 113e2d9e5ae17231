//! Providers and models: registration, changes by the owner, and the provider's consent to serve
//! a model that names it.

use crate::ctx::{fail, Ctx, Outcome};
use crate::error::StorageError;
use crate::keys::StateKey;
use crate::reader::StateReader;
use crate::DatanetVersion;
use sinew_types::event::InferenceEvent;
use sinew_types::failure::{InferenceFailure, LedgerFailure};
use sinew_types::inference::ModelStatus;
use sinew_types::payload::{RegisterModel, RegisterProvider, ServeModel, UpdateModel};
use sinew_types::records::{model_name_hash, Model, Provider};
use sinew_types::{Address, Event};

impl<R: StateReader> Ctx<'_, R> {
    /// Adds a model to (or removes it from) the list of models its provider serves: what a
    /// gateway lists, without walking every model ever registered.
    fn index_served(&mut self, provider: &Address, model: u64, serve: bool) -> Result<(), StorageError> {
        let key = StateKey::ProviderModels(*provider, model);
        if serve {
            self.put(&key, &());
        } else {
            self.delete(&key);
        }
        Ok(())
    }

    /// `RegisterProvider`.
    pub(super) fn register_provider(
        &mut self,
        signer: &Address,
        tx: &RegisterProvider,
        events: &mut Vec<Event>,
    ) -> Outcome {
        let name = &tx.name;
        let endpoint = &tx.endpoint;
        if self.get::<Provider>(&StateKey::Provider(*signer))?.is_some() {
            return fail(
                LedgerFailure::AlreadyRegistered,
                format!("{signer} is already a provider"),
            );
        }
        let staked = self.account(signer)?.map_or(0, |a| a.staked);
        let need = self.params().min_provider_stake;
        if staked < need {
            return fail(
                LedgerFailure::InsufficientStake,
                format!("a provider must have {need} staked; {signer} has {staked}"),
            );
        }
        let p = Provider {
            address: *signer,
            name: name.to_string(),
            endpoint: endpoint.to_string(),
            registered_at: self.height,
        };
        self.put(&StateKey::Provider(*signer), &p);
        events.push(Event::Inference(InferenceEvent::ProviderRegistered {
            provider: *signer,
        }));
        Ok(())
    }

    /// `RegisterModel`.
    pub(super) fn register_model(&mut self, signer: &Address, tx: &RegisterModel, events: &mut Vec<Event>) -> Outcome {
        let info = &tx.info;
        let provider = &tx.provider;
        let pricing = &tx.pricing;
        let split = &tx.split;
        if self.get::<Provider>(&StateKey::Provider(*provider))?.is_none() {
            return fail(
                InferenceFailure::UnknownProvider,
                format!("{provider} is not a registered provider"),
            );
        }
        let name_key = StateKey::ModelName(model_name_hash(&info.name));
        if self.get::<u64>(&name_key)?.is_some() {
            return fail(
                InferenceFailure::NameTaken,
                format!("a model named {:?} exists", info.name),
            );
        }
        for &(d, v) in &info.datanets {
            if self.get::<DatanetVersion>(&StateKey::DatanetVersion(d, v))?.is_none() {
                return fail(
                    InferenceFailure::UnknownDatanetVersion,
                    format!("datanet {d} has no published version {v}"),
                );
            }
        }
        let id: u64 = self.get(&StateKey::NextModelId)?.unwrap_or(0);
        self.put(&StateKey::NextModelId, &(id + 1));
        self.put(&name_key, &id);
        for &(d, _) in &info.datanets {
            self.put(&StateKey::ModelsByDatanet(d, id), &());
        }
        let m = Model {
            id,
            owner: *signer,
            info: info.clone(),
            provider: *provider,
            pricing: *pricing,
            split: *split,
            status: ModelStatus::Active,
            // A provider registering its own model consents by signing; any other
            // provider must accept it (ServeModel) before it takes requests.
            served: provider == signer,
            created_at: self.height,
            answers: 0,
            fees: 0,
        };
        self.put(&StateKey::Model(id), &m);
        if m.served {
            self.index_served(provider, id, true)?;
        }
        events.push(Event::Inference(InferenceEvent::ModelRegistered {
            model: id,
            owner: *signer,
            provider: *provider,
        }));
        Ok(())
    }

    /// `UpdateModel`.
    pub(super) fn update_model(&mut self, signer: &Address, tx: &UpdateModel, events: &mut Vec<Event>) -> Outcome {
        let model = &tx.model;
        let pricing = &tx.pricing;
        let status = &tx.status;
        let Some(mut m) = self.get::<Model>(&StateKey::Model(*model))? else {
            return fail(InferenceFailure::UnknownModel, format!("no model {model}"));
        };
        if m.owner != *signer {
            return fail(
                LedgerFailure::NotOwner,
                format!("only {} may update model {model}", m.owner),
            );
        }
        if m.status == ModelStatus::Retired {
            return fail(InferenceFailure::Retired, format!("model {model} is retired"));
        }
        if let Some(p) = pricing {
            m.pricing = *p;
        }
        if let Some(s) = status {
            m.status = *s;
        }
        self.put(&StateKey::Model(*model), &m);
        events.push(Event::Inference(InferenceEvent::ModelUpdated { model: *model }));
        Ok(())
    }

    /// `ServeModel`.
    pub(super) fn serve_model(&mut self, signer: &Address, tx: &ServeModel, events: &mut Vec<Event>) -> Outcome {
        let model = &tx.model;
        let serve = &tx.serve;
        let Some(mut m) = self.get::<Model>(&StateKey::Model(*model))? else {
            return fail(InferenceFailure::UnknownModel, format!("no model {model}"));
        };
        if m.provider != *signer {
            return fail(
                InferenceFailure::NotProvider,
                format!(
                    "only model {model}'s provider {} decides whether to serve it",
                    m.provider
                ),
            );
        }
        if m.served == *serve {
            return fail(
                InferenceFailure::Unchanged,
                format!(
                    "model {model} is already {}",
                    if *serve { "served" } else { "not served" }
                ),
            );
        }
        m.served = *serve;
        self.put(&StateKey::Model(*model), &m);
        self.index_served(signer, *model, *serve)?;
        events.push(Event::Inference(InferenceEvent::ModelServed {
            model: *model,
            provider: *signer,
            serve: *serve,
        }));
        Ok(())
    }
}
