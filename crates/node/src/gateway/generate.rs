//! Producing an answer: the built-in infini-gram model over the model's datanet versions, or the
//! provider's upstream OpenAI-compatible server. The answer is counted in the model's tokenizer
//! exactly as the ledger recounts it, and cut to the reserved number of tokens.

use super::handle::{latest, LedgerHandle};
use super::{upstream, Authorized, Gateway, GatewayError, InferenceRequest, UpstreamError};
use sinew_attribution::{generate_tokens, Corpus, Sampling, Tokenizer};
use sinew_state::{Provider, StateKey};

/// An answer and its size in the model's tokenizer.
pub(super) struct Generated {
    pub text: String,
    pub tokens: u64,
    pub finish_reason: &'static str,
}

/// `text` cut to at most `max` tokens of `tokenizer` (on a token boundary that is also a char
/// boundary), and its token count as the ledger counts it.
fn fit(tokenizer: Tokenizer, text: String, max: u64) -> (String, u64, bool) {
    let count = |t: &str| tokenizer.tokens(t.as_bytes()).map_or(u64::MAX, |v| v.len() as u64);
    let n = count(&text);
    if n <= max {
        return (text, n, false);
    }
    // Shrink by chars until the recount fits (BPE merges make this not a pure prefix count).
    let mut end = text.len();
    let mut cut = text.as_str();
    while count(cut) > max && end > 0 {
        let over = (count(cut) - max) as usize;
        end = end.saturating_sub(over.max(1));
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        cut = &text[..end];
    }
    let cut = cut.to_string();
    let n = count(&cut);
    (cut, n, true)
}

/// What answers a request: the built-in infini-gram model over the model's datanet versions, or
/// the provider's upstream server. Either way the gateway then checks, cuts and counts the
/// answer the same way.
trait AnswerModel {
    /// The answer text and why it ended (`stop` or `length`).
    fn complete(&self, auth: &Authorized, req: &InferenceRequest) -> Result<(String, &'static str), GatewayError>;
}

/// The built-in model: continues the last message from the corpus.
struct BuiltIn<'a, C: ?Sized>(&'a C);

impl<C: Corpus + ?Sized> AnswerModel for BuiltIn<'_, C> {
    fn complete(&self, auth: &Authorized, req: &InferenceRequest) -> Result<(String, &'static str), GatewayError> {
        let sampling = req.seed.map_or(Sampling::Greedy, Sampling::Seeded);
        let (bytes, _, generated) = generate_tokens(
            self.0,
            req.last_message().as_bytes(),
            auth.max_tokens as usize,
            sampling,
        );
        let text = String::from_utf8(bytes).map_err(|e| GatewayError::Internal(e.to_string()))?;
        let finish = if generated >= auth.max_tokens as usize {
            "length"
        } else {
            "stop"
        };
        Ok((text, finish))
    }
}

/// An upstream OpenAI-compatible server at `endpoint`.
struct Upstream<'a> {
    agent: &'a ureq::Agent,
    endpoint: &'a str,
}

impl AnswerModel for Upstream<'_> {
    fn complete(&self, auth: &Authorized, req: &InferenceRequest) -> Result<(String, &'static str), GatewayError> {
        let info = &auth.model.info;
        let name = info.adapter.as_deref().unwrap_or(&info.base_model);
        let reply = upstream::chat(self.agent, self.endpoint, name, req, auth.max_tokens)?;
        // We count the answer ourselves, in the model's tokenizer; an upstream whose claim is far
        // from it is lying or broken, and nobody is charged.
        let ours = auth.tokenizer.tokens(reply.text.as_bytes()).map_or(0, |t| t.len()) as u64;
        if let Some(claimed) = reply.completion_tokens {
            if claimed > 4 * ours + 16 || 4 * claimed + 16 < ours {
                return Err(UpstreamError::Implausible(format!(
                    "the upstream claims {claimed} answer tokens; the answer has about {ours}"
                ))
                .into());
            }
        }
        Ok((reply.text, reply.finish_reason))
    }
}

impl Gateway {
    /// The provider's answer to `req`, at most `auth.max_tokens` tokens and `max_bytes` bytes.
    pub(super) fn generate<C: Corpus + ?Sized>(
        &self,
        ledger: &dyn LedgerHandle,
        auth: &Authorized,
        req: &InferenceRequest,
        corpus: &C,
        max_bytes: u32,
    ) -> Result<Generated, GatewayError> {
        let provider: Provider = latest(ledger, &StateKey::Provider(self.provider()))?
            .ok_or_else(|| GatewayError::Internal("this gateway's provider is not registered".into()))?;
        let model: Box<dyn AnswerModel + '_> = if provider.endpoint == "builtin" {
            Box::new(BuiltIn(corpus))
        } else {
            Box::new(Upstream {
                agent: &self.agent,
                endpoint: &provider.endpoint,
            })
        };
        let (text, finish_reason) = model.complete(auth, req)?;
        if text.len() > max_bytes as usize {
            return Err(GatewayError::Upstream(UpstreamError::Implausible(format!(
                "the answer has {} bytes, more than the ledger settles ({max_bytes})",
                text.len()
            ))));
        }
        let (text, tokens, cut) = fit(auth.tokenizer, text, u64::from(auth.max_tokens));
        Ok(Generated {
            text,
            tokens,
            finish_reason: if cut { "length" } else { finish_reason },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_cut_to_the_reserved_tokens_as_the_ledger_counts_them() {
        for t in [Tokenizer::Bytes, Tokenizer::Gpt2, Tokenizer::Cl100k] {
            let text = "The Danube flows through ten countries — before it reaches the Black Sea.".to_string();
            for max in [1u64, 3, 7, 20, 1_000] {
                let (cut, n, was_cut) = fit(t, text.clone(), max);
                assert!(n <= max, "{t} {max}: {n}");
                assert_eq!(n, t.tokens(cut.as_bytes()).unwrap().len() as u64);
                assert!(text.starts_with(&cut));
                assert_eq!(was_cut, cut.len() < text.len());
            }
        }
    }
}
