import { useEffect, useState, type FormEvent } from "react";
import { FormError } from "./FormError";
import { useEscape } from "./useEscape";
import { commands, type KeyStatus, type MeetingLanguage, type Prices, type Settings, type VoiceSettings } from "../bindings";
import { call } from "../api";
import { errorMessage } from "../errors";

type Props = {
  settings: Settings;
  onSaveSettings: (next: Settings) => Promise<void>;
  onClose: () => void;
};

/** Where the key comes from, in words. The key itself never reaches the window. */
export function describeKey(key: KeyStatus): string {
  switch (key.source) {
    case "environment":
      return "Using the key from the OPENAI_API_KEY environment variable.";
    case "keychain":
      return "A key is saved in your system keychain.";
    case "file":
      return `A key is saved in ${key.file ?? "a private file"}, readable only by you (${
        key.storedIn === "keychain" ? "the keychain refused it" : "no keychain is available"
      }).`;
    case "none":
      return key.storedIn === "keychain"
        ? "No key yet. A key you enter is saved in your system keychain."
        : `No key yet. A key you enter is saved in ${key.file ?? "a private file"}, readable only by you (no keychain is available).`;
  }
}

/** The prices a person can set, in the order the dialog shows them. */
const PRICE_FIELDS: { key: keyof Prices; label: string }[] = [
  { key: "audioIn", label: "Audio in" },
  { key: "cachedAudioIn", label: "Cached audio in" },
  { key: "textIn", label: "Text in" },
  { key: "cachedTextIn", label: "Cached text in" },
  { key: "textOut", label: "Text out" },
  { key: "audioOut", label: "Audio out" },
];

type PriceInputs = Record<keyof Prices, string>;

/** Languages in the order of their own names, as a person looking for theirs scans them. */
export function byOwnName(languages: MeetingLanguage[]): MeetingLanguage[] {
  return [...languages].sort((a, b) => a.name.localeCompare(b.name));
}

function priceInputs(prices: Prices | null | undefined): PriceInputs {
  const text = (key: keyof Prices) => String(prices?.[key] ?? "");
  return Object.fromEntries(PRICE_FIELDS.map(({ key }) => [key, text(key)])) as PriceInputs;
}

/** The prices typed, each blank one taken from the list prices; `null` when none is typed.
 * Throws, in words, when one is not a number or is blank with no list price to take. */
export function typedPrices(inputs: PriceInputs, list: Prices | null): Prices | null {
  if (PRICE_FIELDS.every(({ key }) => inputs[key].trim() === "")) return null;
  const prices = {} as Prices;
  for (const { key, label } of PRICE_FIELDS) {
    const typed = inputs[key].trim();
    const value = typed === "" ? list?.[key] : Number(typed);
    if (value === undefined || value === null) throw new Error(`${label}: this model has no list price; give one.`);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${label}: "${typed}" is not a price.`);
    prices[key] = value;
  }
  return prices;
}

export function VoiceSettingsDialog({ settings, onSaveSettings, onClose }: Props) {
  const [voice, setVoice] = useState<VoiceSettings | null>(null);
  const [key, setKey] = useState("");
  const [model, setModel] = useState(settings.model ?? "");
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl ?? "");
  const [prices, setPrices] = useState<PriceInputs>(priceInputs(settings.prices));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = () => call(commands.getVoiceSettings()).then(setVoice, (err) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, []);

  useEscape(onClose);

  /** Runs a change to the key or a setting; a failure shows in the dialog. Says whether it was made. */
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    let made = false;
    try {
      await action();
      made = true;
    } catch (err) {
      setError(errorMessage(err));
    }
    await reload();
    setBusy(false);
    return made;
  };

  const saveKey = async (event: FormEvent) => {
    event.preventDefault();
    if (await run(() => call(commands.setApiKey(key)))) setKey("");
  };

  const saveEndpoint = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const own = typedPrices(prices, voice?.listPrices ?? null);
      await onSaveSettings({ ...settings, model: model.trim() || null, baseUrl: baseUrl.trim() || null, prices: own });
      await reload();
    } catch (err) {
      setError(errorMessage(err));
    }
    setBusy(false);
  };

  return (
    <div className="scrim" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="voice-heading">
        <header className="dialog-header">
          <h2 id="voice-heading">Voice operator</h2>
        </header>
        <form onSubmit={(e) => void saveKey(e)}>
          <p className="field-help" data-testid="key-status">
            {voice ? describeKey(voice.key) : "Checking the API key…"}
          </p>
          <label className="field">
            <span>OpenAI API key</span>
            <input
              name="api-key"
              type="password"
              autoComplete="off"
              placeholder={voice?.key.configured ? "Enter a new key to replace it" : "sk-…"}
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
          </label>
          <div className="dialog-actions">
            <button type="submit" className="button primary" disabled={busy || key.trim() === ""}>
              Save key
            </button>
            {voice && (voice.key.source === "keychain" || voice.key.source === "file") && (
              <button type="button" className="button danger" disabled={busy} onClick={() => void run(() => call(commands.forgetApiKey()))}>
                Forget saved key
              </button>
            )}
          </div>
        </form>
        <div className="dialog-section">
          <label className="checkbox">
            <input
              type="checkbox"
              name="confirm-voice-changes"
              checked={settings.askBeforeVoiceChanges}
              disabled={busy}
              onChange={(e) => void run(() => onSaveSettings({ ...settings, askBeforeVoiceChanges: e.target.checked }))}
            />
            Ask before voice changes: every change the voice operator makes waits until someone accepts it
            (its deletions always do)
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              name="system-audio"
              checked={settings.systemAudio ?? false}
              disabled={busy}
              onChange={(e) => void run(() => onSaveSettings({ ...settings, systemAudio: e.target.checked }))}
            />
            Also listen to this computer's audio: the voice operator hears your call app (Zoom, Meet, Teams) as “call
            audio”, which is never played again or sent to the room
          </label>
          <label className="field">
            <span>Meeting language</span>
            <select
              name="meeting-language"
              value={settings.meetingLanguage ?? ""}
              disabled={busy || !voice}
              onChange={(e) => void run(() => onSaveSettings({ ...settings, meetingLanguage: e.target.value || null }))}
            >
              <option value="">
                {voice ? `As this computer: ${voice.systemLanguage.name}` : "As this computer"}
              </option>
              {byOwnName(voice?.languages ?? []).map(({ code, name }) => (
                <option key={code} value={code} lang={code}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <p className="field-help">
            What the transcription listens for, and the language the voice operator writes cards in. A change
            reaches a meeting under way at once.
          </p>
        </div>
        <form className="dialog-section" onSubmit={(e) => void saveEndpoint(e)}>
          <label className="field">
            <span>
              Model {voice?.modelFromEnv && <small>set by OPENAI_REALTIME_MODEL</small>}
            </span>
            <input
              name="model"
              list="realtime-models"
              placeholder={voice?.model ?? "gpt-realtime-2"}
              value={voice?.modelFromEnv ? voice.model : model}
              disabled={voice?.modelFromEnv}
              onChange={(e) => setModel(e.target.value)}
            />
            <datalist id="realtime-models">
              {voice?.models.map((name) => <option key={name} value={name} />)}
            </datalist>
          </label>
          <label className="field">
            <span>
              API address {voice?.baseUrlFromEnv && <small>set by OPENAI_BASE_URL</small>}
            </span>
            <input
              name="base-url"
              placeholder="https://api.openai.com/v1"
              value={voice?.baseUrlFromEnv ? voice.baseUrl : baseUrl}
              disabled={voice?.baseUrlFromEnv}
              onChange={(e) => setBaseUrl(e.target.value)}
            />
          </label>
          <fieldset className="prices">
            <legend>Prices for the cost meter, in dollars per million tokens</legend>
            <p className="field-help" data-testid="list-prices">
              {voice?.listPrices
                ? `Blank fields use ${voice.model}'s list prices of ${voice.pricesAsOf}. Set your own if your contract differs.`
                : `No list prices are known for ${voice?.model ?? "this model"}: give its prices to see what a meeting costs.`}
            </p>
            {PRICE_FIELDS.map(({ key, label }) => (
              <label className="field price" key={key}>
                <span>{label}</span>
                <input
                  name={`price-${key}`}
                  inputMode="decimal"
                  placeholder={String(voice?.listPrices?.[key] ?? "")}
                  value={prices[key]}
                  onChange={(e) => setPrices({ ...prices, [key]: e.target.value })}
                />
              </label>
            ))}
          </fieldset>
          <FormError error={error} />
          <footer className="dialog-actions">
            <span className="spacer" />
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
            <button type="submit" className="button primary" disabled={busy}>
              Save model and address
            </button>
          </footer>
        </form>
      </div>
    </div>
  );
}
