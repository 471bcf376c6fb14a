//! What a meeting costs: the tokens of every response (`response.done.usage`) and of every
//! transcription, summed, and priced from one dated table per model that a person can
//! override. The meter must never read lower than the bill: tokens whose kind the service
//! does not say are counted as the dearer kind. Plain Rust, no I/O.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::protocol::{TranscriptionUsage, Usage};

/// When the list prices below were read off OpenAI's model pages.
pub const PRICES_AS_OF: &str = "2026-11-30";

/// Dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Prices {
    pub text_in: f64,
    pub cached_text_in: f64,
    pub audio_in: f64,
    pub cached_audio_in: f64,
    pub text_out: f64,
    pub audio_out: f64,
}

const GPT_REALTIME_2: Prices = Prices {
    text_in: 4.0,
    cached_text_in: 0.40,
    audio_in: 32.0,
    cached_audio_in: 0.40,
    text_out: 24.0,
    audio_out: 64.0,
};

/// The Realtime models that exist today, with their list prices; the first is the default.
pub const MODELS: [(&str, Prices); 3] = [
    ("gpt-realtime-2", GPT_REALTIME_2),
    ("gpt-realtime-2.1", GPT_REALTIME_2),
    (
        "gpt-realtime-2.1-mini",
        Prices {
            text_in: 0.60,
            cached_text_in: 0.06,
            audio_in: 10.0,
            cached_audio_in: 0.30,
            text_out: 2.40,
            audio_out: 20.0,
        },
    ),
];

/// The input transcription's model (`gpt-4o-mini-transcribe`), billed on its own.
pub const TRANSCRIPTION: Prices =
    Prices { text_in: 1.25, cached_text_in: 1.25, audio_in: 3.0, cached_audio_in: 3.0, text_out: 5.0, audio_out: 5.0 };

/// The list prices of `model`, if it is one we know.
pub fn list_prices(model: &str) -> Option<Prices> {
    MODELS.iter().find(|(name, _)| *name == model).map(|(_, prices)| *prices)
}

/// Tokens billed in a meeting, by kind. (Exported to TypeScript as plain numbers: a
/// meeting's tokens stay far below 2^32.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// Input text not read from the cache.
    #[specta(type = u32)]
    pub text_in: u64,
    #[specta(type = u32)]
    pub cached_text_in: u64,
    #[specta(type = u32)]
    pub audio_in: u64,
    #[specta(type = u32)]
    pub cached_audio_in: u64,
    #[specta(type = u32)]
    pub text_out: u64,
    #[specta(type = u32)]
    pub audio_out: u64,
    /// The input transcription's audio in and text out.
    #[specta(type = u32)]
    pub transcription_in: u64,
    #[specta(type = u32)]
    pub transcription_out: u64,
}

impl Tokens {
    /// One response's tokens.
    pub fn of_response(usage: &Usage) -> Tokens {
        let details = &usage.input_token_details;
        let (text, audio) = match (details.text_tokens, details.audio_tokens) {
            (text, audio) if text + audio >= usage.input_tokens => (text, audio),
            // Kinds not given (or not all): the rest counts as audio, the dearer kind.
            (text, _) => (text.min(usage.input_tokens), usage.input_tokens.saturating_sub(text)),
        };
        let (cached_text, cached_audio) = match &details.cached_tokens_details {
            Some(cached) => (cached.text_tokens.min(text), cached.audio_tokens.min(audio)),
            // Which kind was cached not given: count it as text, so audio stays at full price.
            None => (details.cached_tokens.min(text), details.cached_tokens.saturating_sub(text).min(audio)),
        };
        let out = &usage.output_token_details;
        let text_out = if out.text_tokens + out.audio_tokens >= usage.output_tokens {
            out.text_tokens
        } else {
            usage.output_tokens.saturating_sub(out.audio_tokens)
        };
        Tokens {
            text_in: text - cached_text,
            cached_text_in: cached_text,
            audio_in: audio - cached_audio,
            cached_audio_in: cached_audio,
            text_out,
            audio_out: out.audio_tokens,
            ..Tokens::default()
        }
    }

    /// One transcription's tokens.
    pub fn of_transcription(usage: &TranscriptionUsage) -> Tokens {
        Tokens { transcription_in: usage.input_tokens, transcription_out: usage.output_tokens, ..Tokens::default() }
    }

    pub fn add(&mut self, other: &Tokens) {
        self.text_in += other.text_in;
        self.cached_text_in += other.cached_text_in;
        self.audio_in += other.audio_in;
        self.cached_audio_in += other.cached_audio_in;
        self.text_out += other.text_out;
        self.audio_out += other.audio_out;
        self.transcription_in += other.transcription_in;
        self.transcription_out += other.transcription_out;
    }

    /// All input tokens the model read, cached or not.
    pub fn input(&self) -> u64 {
        self.text_in + self.cached_text_in + self.audio_in + self.cached_audio_in
    }

    pub fn cached(&self) -> u64 {
        self.cached_text_in + self.cached_audio_in
    }

    pub fn output(&self) -> u64 {
        self.text_out + self.audio_out
    }

    /// What these tokens cost in dollars at `prices` for the model (the transcription's own
    /// list prices for its part).
    pub fn dollars(&self, prices: &Prices) -> f64 {
        let model = self.text_in as f64 * prices.text_in
            + self.cached_text_in as f64 * prices.cached_text_in
            + self.audio_in as f64 * prices.audio_in
            + self.cached_audio_in as f64 * prices.cached_audio_in
            + self.text_out as f64 * prices.text_out
            + self.audio_out as f64 * prices.audio_out;
        let transcription = self.transcription_in as f64 * TRANSCRIPTION.audio_in
            + self.transcription_out as f64 * TRANSCRIPTION.text_out;
        (model + transcription) / 1e6
    }
}

/// What the meeting has cost so far, for the status bar, the host's status lines and the
/// meeting's record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MeetingCost {
    pub tokens: Tokens,
    /// Each response priced at the prices in force when it was made.
    pub dollars: f64,
    /// Some tokens were of a model with no known price (and none set): `dollars` leaves them out.
    pub unpriced: bool,
}

impl MeetingCost {
    pub fn add(&mut self, tokens: &Tokens, prices: Option<&Prices>) {
        self.tokens.add(tokens);
        match prices {
            Some(prices) => self.dollars += tokens.dollars(prices),
            None => self.unpriced = true,
        }
    }

    /// "52,310 tokens in (90 % cached), 410 out · $0.042".
    pub fn describe(&self) -> String {
        let tokens = &self.tokens;
        let cached = match tokens.input() {
            0 => 0,
            input => tokens.cached() * 100 / input,
        };
        let money = match (self.dollars, self.unpriced) {
            (_, true) => format!("${:.3} + tokens at unknown prices", self.dollars),
            (dollars, false) => format!("${dollars:.3}"),
        };
        format!("{} tokens in ({cached} % cached), {} out · {money}", grouped(tokens.input()), grouped(tokens.output()))
    }
}

/// 52310 as "52,310".
fn grouped(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CachedDetails, InputDetails, OutputDetails};

    fn usage(input: u64, text: u64, audio: u64, cached: u64, split: Option<(u64, u64)>, output: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            input_token_details: InputDetails {
                text_tokens: text,
                audio_tokens: audio,
                cached_tokens: cached,
                cached_tokens_details: split
                    .map(|(text_tokens, audio_tokens)| CachedDetails { text_tokens, audio_tokens }),
            },
            output_token_details: OutputDetails { text_tokens: output, audio_tokens: 0 },
        }
    }

    #[test]
    fn a_response_splits_into_kinds_and_cache() {
        let tokens = Tokens::of_response(&usage(1_000, 600, 400, 512, Some((384, 128)), 30));
        assert_eq!(
            tokens,
            Tokens {
                text_in: 216,
                cached_text_in: 384,
                audio_in: 272,
                cached_audio_in: 128,
                text_out: 30,
                ..Tokens::default()
            }
        );
        assert_eq!((tokens.input(), tokens.cached(), tokens.output()), (1_000, 512, 30));
    }

    #[test]
    fn what_the_service_does_not_say_is_counted_dear() {
        // No kinds: all audio. No split of the cache: cached counted as text first.
        let tokens = Tokens::of_response(&usage(1_000, 0, 0, 0, None, 10));
        assert_eq!((tokens.audio_in, tokens.text_in), (1_000, 0));
        let tokens = Tokens::of_response(&usage(1_000, 300, 700, 512, None, 10));
        assert_eq!((tokens.cached_text_in, tokens.cached_audio_in, tokens.audio_in), (300, 212, 488));
    }

    #[test]
    fn sums_priced_at_list_prices() {
        let mut meeting = Tokens::default();
        for _ in 0..40 {
            meeting.add(&Tokens::of_response(&usage(10_000, 2_000, 8_000, 9_000, Some((2_000, 7_000)), 30)));
        }
        meeting.add(&Tokens::of_transcription(&TranscriptionUsage { input_tokens: 4_000, output_tokens: 600 }));
        assert_eq!(meeting.input(), 400_000);
        assert_eq!(meeting.cached(), 360_000);
        let prices = list_prices("gpt-realtime-2").unwrap();
        // 40k uncached audio at $32, 360k cached at $0.40, 1,200 out at $24, transcription 4k at $3 and 600 at $5.
        let expected = (40_000.0 * 32.0 + 360_000.0 * 0.40 + 1_200.0 * 24.0 + 4_000.0 * 3.0 + 600.0 * 5.0) / 1e6;
        assert!((meeting.dollars(&prices) - expected).abs() < 1e-9, "{}", meeting.dollars(&prices));
        assert!(list_prices("gpt-realtime-2.1-mini").unwrap().audio_in < prices.audio_in);
        assert_eq!(list_prices("my-proxy-model"), None);
    }

    #[test]
    fn the_meeting_cost_says_tokens_cache_and_money() {
        let mut cost = MeetingCost::default();
        cost.add(
            &Tokens::of_response(&usage(52_310, 10_000, 42_310, 47_079, None, 410)),
            list_prices("gpt-realtime-2").as_ref(),
        );
        assert!(cost.describe().starts_with("52,310 tokens in (90 % cached), 410 out · $0."), "{}", cost.describe());
        cost.add(&Tokens::of_response(&usage(100, 100, 0, 0, None, 1)), None);
        assert!(cost.unpriced && cost.describe().ends_with("+ tokens at unknown prices"), "{}", cost.describe());
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
