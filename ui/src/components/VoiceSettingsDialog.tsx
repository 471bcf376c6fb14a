import { useEffect, useState, type FormEvent } from "react";
import { FormError } from "./FormError";
import { useEscape } from "./useEscape";
import { commands, type KeyStatus, type Settings, type VoiceSettings } from "../bindings";
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

export function VoiceSettingsDialog({ settings, onSaveSettings, onClose }: Props) {
  const [voice, setVoice] = useState<VoiceSettings | null>(null);
  const [key, setKey] = useState("");
  const [model, setModel] = useState(settings.model ?? "");
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = () => call(commands.getVoiceSettings()).then(setVoice, (err) => setError(errorMessage(err)));

  useEffect(() => {
    void reload();
  }, []);

  useEscape(onClose);

  /** Runs a change to the key; a failure shows in the dialog. Says whether it was made. */
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
      await onSaveSettings({ ...settings, model: model.trim() || null, baseUrl: baseUrl.trim() || null });
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
        <form className="dialog-section" onSubmit={(e) => void saveEndpoint(e)}>
          <label className="field">
            <span>
              Model {voice?.modelFromEnv && <small>set by OPENAI_REALTIME_MODEL</small>}
            </span>
            <input
              name="model"
              placeholder={voice?.model ?? "gpt-realtime-2"}
              value={voice?.modelFromEnv ? voice.model : model}
              disabled={voice?.modelFromEnv}
              onChange={(e) => setModel(e.target.value)}
            />
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
