import { useState } from "react";

type Props = {
  microphone: string | null;
  onChange: (microphone: string | null) => void;
  list: () => Promise<string[]>;
};

const DEFAULT = "";

/** The input device, listed when the picker is opened so plugged-in devices show up. */
export function MicrophonePicker({ microphone, onChange, list }: Props) {
  const [devices, setDevices] = useState<string[]>([]);
  const refresh = () => void list().then(setDevices, () => setDevices([]));
  const options = microphone && !devices.includes(microphone) ? [microphone, ...devices] : devices;
  return (
    <label className="picker">
      <span>Microphone</span>
      <select
        value={microphone ?? DEFAULT}
        onFocus={refresh}
        onMouseDown={refresh}
        onChange={(e) => onChange(e.target.value === DEFAULT ? null : e.target.value)}
      >
        <option value={DEFAULT}>System default</option>
        {options
          .filter((name) => name !== "default")
          .map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
      </select>
    </label>
  );
}
