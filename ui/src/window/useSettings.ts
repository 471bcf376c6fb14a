// The person's settings as the window shows and saves them, and the colour theme they choose.
import { useCallback, useEffect, useState } from "react";
import { commands, type Settings, type Theme } from "../bindings";
import { call } from "../api";
import type { Toasts } from "../hooks/useToasts";

/** What shows until the saved settings are read. */
const DEFAULTS: Settings = {
  theme: "system",
  microphone: null,
  headset: false,
  systemAudio: false,
  model: null,
  baseUrl: null,
  roomLan: false,
  roomPort: null,
  roomAskToJoin: false,
  askBeforeVoiceChanges: false,
  meetingLanguage: null,
  iceServers: [],
  publicIp: null,
  udpPorts: null,
  yourName: null,
};

export function useSettings({ failed }: Pick<Toasts, "failed">) {
  const [settings, setSettings] = useState<Settings>(DEFAULTS);
  useTheme(settings.theme);

  // Settings that cannot be read leave the defaults.
  const load = useCallback(() => call(commands.getSettings()).then(setSettings, () => undefined), []);

  /** Saves settings; a refused change is shown and thrown, and the saved settings stay. */
  const save = useCallback(
    async (next: Settings) => {
      try {
        await call(commands.setSettings(next));
      } catch (error) {
        failed(error);
        throw error;
      }
      setSettings(next);
    },
    [failed],
  );

  return { settings, load, save };
}

/** Paints the page in `theme`, following the system's choice for "system". */
function useTheme(theme: Theme) {
  useEffect(() => {
    const osDark = window.matchMedia("(prefers-color-scheme: dark)");
    const apply = () => {
      document.documentElement.dataset.theme = theme === "system" ? (osDark.matches ? "dark" : "light") : theme;
    };
    apply();
    osDark.addEventListener("change", apply);
    return () => osDark.removeEventListener("change", apply);
  }, [theme]);
}
