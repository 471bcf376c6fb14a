import { useEffect, useState } from "react";
import { commands, type RoomInfo, type Settings } from "../bindings";
import { call } from "../api";
import { errorMessage } from "../errors";
import { FormError } from "./FormError";

type Props = {
  room: RoomInfo | null;
  settings: Settings;
  /** Whether the open room is locked. */
  locked: boolean;
  onStart: () => Promise<void>;
  onEnd: () => Promise<void>;
  /** Replaces the room's link; throws what went wrong. */
  onNewLink: () => Promise<void>;
  onLock: (locked: boolean) => Promise<void>;
  onSaveSettings: (next: Settings) => Promise<void>;
};

/** Hosting: start a room, share its invite link (the same every time, until a new one is
 *  asked for), say who may come in, end it. */
export function RoomPanel({ room, settings, locked, onStart, onEnd, onNewLink, onLock, onSaveSettings }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  /** "New link" asks once more before the link everyone has stops working. */
  const [replacing, setReplacing] = useState(false);
  const [renewed, setRenewed] = useState(false);
  const [port, setPort] = useState(settings.roomPort?.toString() ?? "");

  const start = async () => {
    setError(null);
    const trimmed = port.trim();
    const parsed = trimmed === "" ? null : Number(trimmed);
    if (parsed !== null && !(Number.isInteger(parsed) && parsed >= 1 && parsed <= 65535)) {
      setError("The port must be a number from 1 to 65535, or empty for any free port.");
      return;
    }
    try {
      if (parsed !== settings.roomPort) await onSaveSettings({ ...settings, roomPort: parsed });
      await onStart();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const newLink = async () => {
    setError(null);
    try {
      await onNewLink();
      setReplacing(false);
      setRenewed(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const copy = async () => {
    if (!room) return;
    try {
      await navigator.clipboard.writeText(room.inviteLink);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setError("The link could not be copied; select it and copy it by hand.");
    }
  };

  return (
    <section className="panel room" aria-labelledby="room-heading">
      <header className="panel-header">
        <h2 id="room-heading">Meeting room</h2>
        <span className={`count${room ? " live" : ""}`}>{room ? "open" : "closed"}</span>
      </header>
      {room ? (
        <>
          <label className="field">
            <span>Invite link {room.lan ? "(people on your network can join)" : "(this computer only)"}</span>
            <input className="invite-link" readOnly value={room.inviteLink} onFocus={(event) => event.currentTarget.select()} />
          </label>
          <p className="field-help" role={renewed ? "status" : undefined}>
            {renewed
              ? "This is the room's new link: the old one no longer lets anyone in. Send the new one to everyone."
              : "The room keeps this link every time you start it, until you ask for a new one."}
          </p>
          {room.fingerprint && (
            <div className="certificate-note" data-testid="certificate-note">
              <p>
                The first time, browsers warn that the connection is not private: this computer made the room's certificate
                itself, so no public authority vouches for it. That is expected — check that the certificate's SHA-256
                fingerprint in the browser matches this one, then choose Advanced → Proceed.
              </p>
              <code className="fingerprint">{room.fingerprint}</code>
            </div>
          )}
          <AskToJoin settings={settings} onSaveSettings={onSaveSettings} />
          <label className="checkbox">
            <input type="checkbox" checked={locked} onChange={(event) => void onLock(event.target.checked).catch(() => undefined)} />
            Lock the room (nobody new can join)
          </label>
          {room.warnings.map((warning) => (
            <p key={warning} className="form-error" role="alert">
              {warning}
            </p>
          ))}
          <div className="panel-actions">
            <button className="button" onClick={() => void copy()}>
              {copied ? "Copied" : "Copy link"}
            </button>
            <button className="button" aria-expanded={replacing} onClick={() => setReplacing(!replacing)}>
              New link
            </button>
            <button className="button danger" onClick={() => void onEnd()}>
              End room
            </button>
          </div>
          {replacing && (
            <div className="confirm" role="group" aria-label="Replace the invite link">
              <p>The link you sent stops letting anyone in at once; people already in the room stay.</p>
              <button className="button primary" onClick={() => void newLink()}>
                Make a new link
              </button>
              <button className="button" onClick={() => setReplacing(false)}>
                Keep this link
              </button>
            </div>
          )}
        </>
      ) : (
        <>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={settings.roomLan}
              onChange={(event) => void onSaveSettings({ ...settings, roomLan: event.target.checked }).catch(() => undefined)}
            />
            Let people on my network join
          </label>
          <AskToJoin settings={settings} onSaveSettings={onSaveSettings} />
          <label className="field inline">
            <span>Port</span>
            <input inputMode="numeric" placeholder="any" value={port} onChange={(event) => setPort(event.target.value)} />
          </label>
          <NetworkSettings settings={settings} onSaveSettings={onSaveSettings} />
          <div className="panel-actions">
            <button className="button primary" onClick={() => void start()}>
              Start room
            </button>
          </div>
        </>
      )}
      <FormError error={error} />
    </section>
  );
}

/** "Ask me before people join": newcomers wait for the host; it applies to an open room at once. */
function AskToJoin({ settings, onSaveSettings }: Pick<Props, "settings" | "onSaveSettings">) {
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        checked={settings.roomAskToJoin}
        onChange={(event) => void onSaveSettings({ ...settings, roomAskToJoin: event.target.checked }).catch(() => undefined)}
      />
      Ask me before people join
    </label>
  );
}

/** STUN/TURN servers, the TURN secret (write-only), the public address behind a 1:1 NAT, the UDP ports. */
function NetworkSettings({ settings, onSaveSettings }: Pick<Props, "settings" | "onSaveSettings">) {
  const [servers, setServers] = useState(settings.iceServers.join("\n"));
  const [publicIp, setPublicIp] = useState(settings.publicIp ?? "");
  const [udpPorts, setUdpPorts] = useState(settings.udpPorts ?? "");
  const [secret, setSecret] = useState("");
  const [secretSet, setSecretSet] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    void call(commands.getTurnSecretState()).then((state) => setSecretSet(state.configured), () => undefined);
  }, []);

  const save = async () => {
    setError(null);
    setSaved(false);
    const blank = (value: string) => (value.trim() === "" ? null : value.trim());
    try {
      await onSaveSettings({
        ...settings,
        iceServers: servers.split("\n").map((line) => line.trim()).filter(Boolean),
        publicIp: blank(publicIp),
        udpPorts: blank(udpPorts),
      });
      if (secret.trim() !== "") {
        setSecretSet((await call(commands.setTurnSecret(secret))).configured);
        setSecret("");
      }
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const clearSecret = async () => {
    await call(commands.setTurnSecret(null)).then((state) => setSecretSet(state.configured), () => undefined);
  };

  return (
    <details className="network-settings">
      <summary>Network: STUN and TURN servers</summary>
      <label className="field">
        <span>STUN and TURN servers, one per line (stun:, turn:, turns:)</span>
        <textarea name="iceServers" rows={3} value={servers} placeholder="turn:turn.example.com:3478?transport=tcp" onChange={(e) => setServers(e.target.value)} />
      </label>
      <label className="field">
        <span>TURN shared secret {secretSet ? "(set; type to replace)" : "(not set)"}</span>
        <input name="turnSecret" type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
      </label>
      {secretSet && (
        <button type="button" className="button" onClick={() => void clearSecret()}>
          Forget the TURN secret
        </button>
      )}
      <label className="field">
        <span>Public address (behind a 1:1 NAT)</span>
        <input name="publicIp" value={publicIp} placeholder="203.0.113.7" onChange={(e) => setPublicIp(e.target.value)} />
      </label>
      <label className="field">
        <span>UDP ports for audio</span>
        <input name="udpPorts" value={udpPorts} placeholder="40000-40100" onChange={(e) => setUdpPorts(e.target.value)} />
      </label>
      <FormError error={error} />
      <div className="panel-actions">
        <button type="button" className="button" onClick={() => void save()}>
          {saved ? "Saved" : "Save network settings"}
        </button>
      </div>
    </details>
  );
}
