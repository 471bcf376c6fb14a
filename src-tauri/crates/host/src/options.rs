//! The host's command line. Plain Rust: parsed from a list of arguments and a lookup of
//! environment variables, so it can be tested without touching the process.

use std::path::PathBuf;

use realtime::api::{BASE_URL_VAR, DEFAULT_BASE_URL, KEY_VAR, MODEL_VAR};

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
  --model MODEL        Realtime model (default: $OPENAI_REALTIME_MODEL, else gpt-realtime-2)
  --base-url URL       API base (default: $OPENAI_BASE_URL, else https://api.openai.com/v1)
  --room               host a meeting room: prints an invite link people open in a browser
  --room-lan           let people on the network join (implies --room; default: this machine only)
  --room-port PORT     the room's port (implies --room; default: any free port)
  --room-cap N         at most N participants (default: 16)
  --speakers           play the participants on this machine's speakers
  -h, --help           show this help

Environment:
  OPENAI_API_KEY       the API key; without it the board and audio run but nobody listens";

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
    pub model: String,
    pub base_url: String,
    pub api_key: Option<String>,
    /// Host a meeting room, with these settings.
    pub room: Option<room::RoomConfig>,
    /// Play the room's participants on the speakers.
    pub speakers: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Run(Options),
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>, env: impl Fn(&str) -> Option<String>) -> Result<Parsed, String> {
    let env = |name: &str| env(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut options = Options {
        data_dir: env("BOARDROOM_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| default_data_dir(&env)),
        microphone: Microphone::Default,
        play: None,
        model: env(MODEL_VAR).unwrap_or_else(|| realtime::session::DEFAULT_MODEL.to_owned()),
        base_url: env(BASE_URL_VAR).unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
        api_key: env(KEY_VAR),
        room: None,
        speakers: false,
    };
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
            "--room-lan" => options.room.get_or_insert_with(room::RoomConfig::default).lan = true,
            "--room-port" => {
                let port = value()?.parse().map_err(|_| format!("{arg} needs a port number from 1 to 65535"))?;
                options.room.get_or_insert_with(room::RoomConfig::default).port = port;
            }
            "--room-cap" => {
                let cap =
                    value()?.parse().ok().filter(|&n| n > 0).ok_or_else(|| format!("{arg} needs a number above 0"))?;
                options.room.get_or_insert_with(room::RoomConfig::default).cap = cap;
            }
            "--speakers" => options.speakers = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(Parsed::Run(options))
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
        let flags =
            args(&["--data-dir", "/srv/room", "--microphone", "none", "--play", "a.wav", "--base-url", "http://x/v1"]);
        let Parsed::Run(options) = parse(flags, env).unwrap() else { panic!() };
        assert_eq!(options.data_dir, PathBuf::from("/srv/room"));
        assert_eq!(options.microphone, Microphone::None);
        assert_eq!(options.play, Some(PathBuf::from("a.wav")));
        assert_eq!(options.base_url, "http://x/v1");
        assert_eq!(options.room, None);
        let Parsed::Run(options) = parse(args(&["--room-port", "8080", "--room-cap", "4"]), env).unwrap() else {
            panic!()
        };
        let expected = room::RoomConfig { port: 8080, cap: 4, ..room::RoomConfig::default() };
        assert_eq!(options.room, Some(expected));
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(parse(args(&["--data-dir"]), |_| None), Err("--data-dir needs a value".into()));
        assert_eq!(parse(args(&["--frobnicate"]), |_| None), Err("unknown option \"--frobnicate\"".into()));
        assert_eq!(parse(args(&["--help"]), |_| None), Ok(Parsed::Help));
        assert!(parse(args(&["--room-port", "99999"]), |_| None).unwrap_err().contains("port number"));
        assert!(parse(args(&["--room-cap", "0"]), |_| None).unwrap_err().contains("above 0"));
    }
}
