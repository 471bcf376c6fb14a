//! The host's command line. Plain Rust: parsed from a list of arguments and a lookup of
//! environment variables, so it can be tested without touching the process.

use std::path::PathBuf;

use realtime::api::{BASE_URL_VAR, DEFAULT_BASE_URL, KEY_VAR, MODEL_VAR};
use realtime::Language;
use room::acme::AcmeSettings;
use room::ice::{parse_port_range, IceConfig, IceUrl, TurnSecret};
use room::tls::CertificateSource;
use room::Access;

pub const USAGE: &str = "\
Usage: boardroom-host [OPTIONS]

Runs a Boardroom room without a window: the board, the room's audio and the voice
operator. Status lines go to standard output; logs (RUST_LOG) to standard error.

Options:
  --data-dir DIR       where the board is kept (default: $BOARDROOM_DATA_DIR, else
                       ~/.local/share/boardroom-host)
  --microphone NAME    capture this input device; `default` for the system default,
                       `none` for no microphone (default: default)
  --play FILE.wav      also play a WAV file into the room, looping (any rate and channels)
  --system-audio       also listen to what this computer plays (the call app the team meets
                       in) through PulseAudio or PipeWire: the voice operator hears it as
                       call audio; it is never played again nor sent to participants, and
                       this program's own playback is left out of it
  --model MODEL        Realtime model: gpt-realtime-2, gpt-realtime-2.1, gpt-realtime-2.1-mini
                       (cheaper) or any other name the API takes (default:
                       $OPENAI_REALTIME_MODEL, else gpt-realtime-2)
  --base-url URL       API base (default: $OPENAI_BASE_URL, else https://api.openai.com/v1);
                       https://, or http:// only to this machine (the key is sent with it)
  --room               host a meeting room: prints an invite link people open in a browser
  --room-lan           let people on the network join over HTTPS, with a certificate this
                       installation makes once and keeps (browsers warn about it; the
                       fingerprint is printed). Implies --room; default: this machine only
  --room-port PORT     the room's port (implies --room; default: any free port, 443 with --domain)
  --room-cap N         at most N participants (default: 16)
  --ask-to-join        newcomers wait until you let them in: type `admit ID` or
                       `decline ID` on standard input, with the id shown beside their
                       name in the lobby line (implies --room; without it, everyone with
                       the link comes straight in). Also on standard input, by id:
                       remove, allow (back in), mute, unmute; and lock, unlock, ask, open
  --tls-cert FILE      serve HTTPS with this PEM certificate chain (implies --room-lan);
  --tls-key FILE       and its key. Renewed files are picked up without a restart
  --domain NAME        get and renew a certificate for NAME over ACME (TLS-ALPN-01, so the
                       room's port must be reachable as NAME:443); kept in the data folder
  --acme-contact EMAIL where the certificate authority may write
  --acme-directory URL the ACME directory (default: Let's Encrypt)
  --public-url URL     behind a reverse proxy that serves HTTPS at URL: links use it and
                       the room listens on plain HTTP on 127.0.0.1 only
  --ice-server URL     a STUN or TURN server (stun:, turn:, turns:), repeatable; used by
                       the room and handed to every participant
  --turn-secret SECRET the TURN servers' shared secret (coturn's static-auth-secret);
                       participants get short-lived credentials, never the secret.
                       Better: $BOARDROOM_TURN_SECRET, which `ps` does not show
  --public-ip IP       this server's public address, behind a 1:1 NAT (e.g. a cloud VM)
  --udp-ports FIRST-LAST  the UDP ports the room's audio uses, for firewalls
  --speakers           play the participants on this machine's speakers; their echo is
                       cancelled from the microphone
  --headset            the speakers are a headset: no echo to cancel
  --language CODE      the meeting's language, as a two-letter code (en, de, fr, es, ja, …):
                       what the transcription hears and the language the model writes cards
                       in (default: this system's locale, else en); `language CODE` on
                       standard input changes it during the meeting
  --confirm-voice-changes
                       every change the voice operator makes waits until someone accepts
                       it on a page, or you type `accept N` (`reject N`) with the
                       suggestion's number from its board line; its deletions always wait
  -h, --help           show this help

Environment:
  OPENAI_API_KEY       the API key; without it the board and audio run but nobody listens";

/// Where the room's certificates are kept, inside the data folder.
const TLS_DIR: &str = "room-tls";
const ACME_DIR: &str = "room-acme";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Microphone {
    Default,
    Named(String),
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub data_dir: PathBuf,
    pub microphone: Microphone,
    pub play: Option<PathBuf>,
    /// Also listen to what this computer plays, for the voice operator.
    pub system_audio: bool,
    pub model: String,
    pub base_url: String,
    pub api_key: Option<String>,
    /// Host a meeting room, with these settings.
    pub room: Option<room::RoomConfig>,
    /// Play the room's participants on the speakers.
    pub speakers: bool,
    /// The speakers are a headset: echo cancellation stays off.
    pub headset: bool,
    /// Every change the voice operator makes waits for a person to accept it.
    pub ask_before_voice_changes: bool,
    /// What the meeting is held in.
    pub language: Language,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Box<Options>),
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>, env: impl Fn(&str) -> Option<String>) -> Result<Parsed, String> {
    let env = |name: &str| env(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut options = Options {
        data_dir: env("BOARDROOM_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| default_data_dir(&env)),
        microphone: Microphone::Default,
        play: None,
        system_audio: false,
        model: env(MODEL_VAR).unwrap_or_else(|| realtime::session::DEFAULT_MODEL.to_owned()),
        base_url: env(BASE_URL_VAR).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        api_key: env(KEY_VAR),
        room: None,
        speakers: false,
        headset: false,
        ask_before_voice_changes: false,
        language: realtime::language::of_environment(env).unwrap_or_default(),
    };
    let mut network = NetworkFlags { turn_secret: env(TURN_SECRET_VAR), ..NetworkFlags::default() };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--data-dir" => options.data_dir = PathBuf::from(value()?),
            "--microphone" => {
                options.microphone = match value()?.as_str() {
                    "default" => Microphone::Default,
                    "none" => Microphone::None,
                    name => Microphone::Named(name.to_owned()),
                }
            }
            "--play" => options.play = Some(PathBuf::from(value()?)),
            "--model" => options.model = value()?,
            "--base-url" => options.base_url = value()?,
            "--room" => {
                options.room.get_or_insert_with(room::RoomConfig::default);
            }
            "--room-lan" => {
                options.room.get_or_insert_with(room::RoomConfig::default);
                network.lan = true;
            }
            "--room-port" => {
                let port = value()?.parse().map_err(|_| format!("{arg} needs a port number from 1 to 65535"))?;
                options.room.get_or_insert_with(room::RoomConfig::default).port = port;
            }
            "--room-cap" => {
                let cap =
                    value()?.parse().ok().filter(|&n| n > 0).ok_or_else(|| format!("{arg} needs a number above 0"))?;
                options.room.get_or_insert_with(room::RoomConfig::default).cap = cap;
            }
            "--ask-to-join" => options.room.get_or_insert_with(room::RoomConfig::default).ask_to_join = true,
            "--tls-cert" => network.cert = Some(PathBuf::from(value()?)),
            "--tls-key" => network.key = Some(PathBuf::from(value()?)),
            "--domain" => network.domains.push(value()?),
            "--acme-contact" => network.contact.push(format!("mailto:{}", value()?)),
            "--acme-directory" => network.directory = Some(value()?),
            "--public-url" => network.public_url = Some(value()?),
            "--ice-server" => network.ice.servers.push(IceUrl::parse(&value()?).map_err(|err| err.to_string())?),
            "--turn-secret" => network.turn_secret = Some(value()?),
            "--public-ip" => {
                let ip = value()?.parse().map_err(|_| format!("{arg} needs an IP address"))?;
                network.ice.public_ip = Some(ip);
            }
            "--udp-ports" => network.ice.udp_ports = Some(parse_port_range(&value()?).map_err(|err| err.to_string())?),
            "--speakers" => options.speakers = true,
            "--system-audio" => options.system_audio = true,
            "--headset" => options.headset = true,
            "--confirm-voice-changes" => options.ask_before_voice_changes = true,
            "--language" => options.language = Language::from_code(&value()?).map_err(|err| err.to_string())?,
            "-h" | "--help" => return Ok(Parsed::Help),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if network.any() {
        let room = options.room.get_or_insert_with(room::RoomConfig::default);
        network.apply(room, &options.data_dir)?;
    }
    realtime::api::check_base_url(&options.base_url).map_err(|err| format!("the API address {err}"))?;
    Ok(Parsed::Run(Box::new(options)))
}

pub const TURN_SECRET_VAR: &str = "BOARDROOM_TURN_SECRET";

/// The room's network flags, gathered first: what they mean depends on all of them
/// and on the data folder, which may come later on the command line.
#[derive(Default)]
struct NetworkFlags {
    lan: bool,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    domains: Vec<String>,
    contact: Vec<String>,
    directory: Option<String>,
    public_url: Option<String>,
    turn_secret: Option<String>,
    ice: IceConfig,
}

impl NetworkFlags {
    fn any(&self) -> bool {
        self.lan
            || self.cert.is_some()
            || self.key.is_some()
            || !self.domains.is_empty()
            || self.public_url.is_some()
            || self.ice != IceConfig::default()
    }

    fn apply(self, room: &mut room::RoomConfig, data_dir: &std::path::Path) -> Result<(), String> {
        let tls_choices =
            [self.cert.is_some() || self.key.is_some(), !self.domains.is_empty(), self.public_url.is_some()];
        if tls_choices.iter().filter(|&&chosen| chosen).count() > 1 {
            return Err("choose one of --tls-cert/--tls-key, --domain and --public-url".into());
        }
        room.access = if let Some(public_url) = self.public_url {
            if self.lan {
                return Err("--public-url serves on 127.0.0.1 for the proxy; leave out --room-lan".into());
            }
            Access::Proxied { public_url }
        } else if self.cert.is_some() || self.key.is_some() {
            let (Some(cert), Some(key)) = (self.cert, self.key) else {
                return Err("--tls-cert and --tls-key go together".into());
            };
            Access::Network(CertificateSource::Files { cert, key })
        } else if !self.domains.is_empty() {
            if room.port == 0 {
                room.port = 443;
            }
            Access::Network(CertificateSource::Acme(AcmeSettings {
                domains: self.domains,
                contact: self.contact,
                cache_dir: data_dir.join(ACME_DIR),
                directory: self.directory.unwrap_or_else(|| room::acme::LETS_ENCRYPT.to_owned()),
            }))
        } else if self.lan {
            Access::Network(CertificateSource::SelfSigned { dir: data_dir.join(TLS_DIR) })
        } else {
            Access::ThisComputer
        };
        room.ice = IceConfig { turn_secret: self.turn_secret.and_then(TurnSecret::new), ..self.ice };
        room.ice.validate().map_err(|err| format!("{err} (--turn-secret or ${TURN_SECRET_VAR})"))
    }
}

fn default_data_dir(env: &impl Fn(&str) -> Option<String>) -> PathBuf {
    let base = env("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("boardroom-host")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_defaults() {
        let env = |name: &str| match name {
            "HOME" => Some("/home/me".into()),
            "OPENAI_BASE_URL" => Some("http://127.0.0.1:9/v1".into()),
            "OPENAI_API_KEY" => Some(" sk-x ".into()),
            _ => None,
        };
        let Parsed::Run(options) = parse(args(&[]), env).unwrap() else { panic!() };
        assert_eq!(options.data_dir, PathBuf::from("/home/me/.local/share/boardroom-host"));
        assert_eq!(options.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(options.model, "gpt-realtime-2");
        assert_eq!(options.api_key.as_deref(), Some("sk-x"));
        assert_eq!(options.microphone, Microphone::Default);
        assert_eq!((options.speakers, options.headset), (false, false));
        let Parsed::Run(options) = parse(args(&["--speakers", "--headset"]), env).unwrap() else { panic!() };
        assert_eq!((options.speakers, options.headset), (true, true), "a headset: no echo to cancel");
        let Parsed::Run(options) = parse(args(&["--system-audio"]), env).unwrap() else { panic!() };
        assert!(options.system_audio);
        let Parsed::Run(options) = parse(args(&["--confirm-voice-changes"]), env).unwrap() else { panic!() };
        assert!(options.ask_before_voice_changes);
        assert_eq!(options.language.code, "en", "no locale: English");
        let german = |name: &str| (name == "LANG").then(|| "de_AT.UTF-8".to_owned()).or_else(|| env(name));
        let Parsed::Run(options) = parse(args(&[]), german).unwrap() else { panic!() };
        assert_eq!(options.language.code, "de", "the locale's language");
        let Parsed::Run(options) = parse(args(&["--language", "JA"]), german).unwrap() else { panic!() };
        assert_eq!(options.language.code, "ja", "the flag wins");
        let unknown = parse(args(&["--language", "klingon"]), env).unwrap_err();
        assert!(unknown.starts_with("\"klingon\" is not a meeting language"), "{unknown}");
        let flags =
            args(&["--data-dir", "/srv/room", "--microphone", "none", "--play", "a.wav", "--base-url", "https://x/v1"]);
        let Parsed::Run(options) = parse(flags, env).unwrap() else { panic!() };
        assert_eq!(options.data_dir, PathBuf::from("/srv/room"));
        assert_eq!(options.microphone, Microphone::None);
        assert_eq!(options.play, Some(PathBuf::from("a.wav")));
        assert_eq!(options.base_url, "https://x/v1");
        assert_eq!(options.room, None);
        let Parsed::Run(options) = parse(args(&["--room-port", "8080", "--room-cap", "4"]), env).unwrap() else {
            panic!()
        };
        let expected = room::RoomConfig { port: 8080, cap: 4, ..room::RoomConfig::default() };
        assert_eq!(options.room, Some(expected));
        let Parsed::Run(options) = parse(args(&["--ask-to-join"]), env).unwrap() else { panic!() };
        assert_eq!(options.room, Some(room::RoomConfig { ask_to_join: true, ..room::RoomConfig::default() }));
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(parse(args(&["--data-dir"]), |_| None), Err("--data-dir needs a value".into()));
        assert_eq!(parse(args(&["--frobnicate"]), |_| None), Err("unknown option \"--frobnicate\"".into()));
        assert_eq!(parse(args(&["--help"]), |_| None), Ok(Parsed::Help));
        assert!(parse(args(&["--room-port", "99999"]), |_| None).unwrap_err().contains("port number"));
        assert!(parse(args(&["--room-cap", "0"]), |_| None).unwrap_err().contains("above 0"));
        assert!(parse(args(&["--tls-cert", "c.pem"]), |_| None).unwrap_err().contains("go together"));
        let both = args(&["--domain", "meet.example.com", "--public-url", "https://meet.example.com"]);
        assert!(parse(both, |_| None).unwrap_err().contains("choose one"));
        let turn = parse(args(&["--ice-server", "turn:t.example"]), |_| None).unwrap_err();
        assert!(turn.contains("shared secret"), "{turn}");
        assert!(parse(args(&["--ice-server", "http://x"]), |_| None).unwrap_err().contains("not a STUN or TURN"));
        assert!(parse(args(&["--udp-ports", "9-1"]), |_| None).unwrap_err().contains("port range"));
        let in_clear = parse(args(&["--base-url", "http://api.example.com/v1"]), |_| None).unwrap_err();
        assert!(
            in_clear.starts_with("the API address \"http://api.example.com/v1\" would send the API key unencrypted")
        );
        let from_env = |name: &str| (name == "OPENAI_BASE_URL").then(|| "http://10.0.0.5/v1".to_owned());
        assert!(parse(args(&[]), from_env).unwrap_err().contains("use https://"), "the environment is checked too");
    }

    fn room_of(list: &[&str], env: impl Fn(&str) -> Option<String>) -> room::RoomConfig {
        let Parsed::Run(options) = parse(args(list), env).unwrap() else { panic!() };
        options.room.expect("a room")
    }

    #[test]
    fn the_network_flags_choose_how_the_room_is_reached() {
        let lan = room_of(&["--room-lan", "--data-dir", "/srv/b"], |_| None);
        let kept = PathBuf::from("/srv/b/room-tls");
        assert_eq!(lan.access, Access::Network(CertificateSource::SelfSigned { dir: kept }));
        let files = room_of(&["--tls-cert", "c.pem", "--tls-key", "k.pem"], |_| None);
        let expected = CertificateSource::Files { cert: "c.pem".into(), key: "k.pem".into() };
        assert_eq!(files.access, Access::Network(expected));
        let acme = room_of(&["--domain", "meet.example.com", "--acme-contact", "ops@example.com"], |_| None);
        assert_eq!(acme.port, 443);
        let Access::Network(CertificateSource::Acme(settings)) = acme.access else { panic!("{:?}", acme.access) };
        assert_eq!(settings.domains, vec!["meet.example.com".to_owned()]);
        assert_eq!(settings.contact, vec!["mailto:ops@example.com".to_owned()]);
        assert_eq!(settings.directory, room::acme::LETS_ENCRYPT);
        let proxied = room_of(&["--public-url", "https://meet.example.com"], |_| None);
        assert_eq!(proxied.access, Access::Proxied { public_url: "https://meet.example.com".into() });

        let secret_from_env = |name: &str| (name == TURN_SECRET_VAR).then(|| "north".to_owned());
        let list = [
            "--ice-server",
            "stun:s.example",
            "--ice-server",
            "turn:t.example?transport=tcp",
            "--public-ip",
            "203.0.113.7",
            "--udp-ports",
            "40000-40100",
        ];
        let ice = room_of(&list, secret_from_env).ice;
        assert_eq!(ice.servers.len(), 2);
        assert_eq!(ice.turn_secret, TurnSecret::new("north"));
        assert_eq!(ice.public_ip, Some("203.0.113.7".parse().unwrap()));
        assert_eq!(ice.udp_ports, Some((40000, 40100)));
        assert_eq!(ice.servers_for("p1", std::time::SystemTime::now()).len(), 2);
    }
}
