// Plays what the others in the room say, one audio element per sender, and measures it with
// a WebAudio analyser: the level and the loudest frequency per sender, for the page's
// diagnostics (and for checking that sound really arrives).

export type Heard = { rmsDbfs: number; frequency: number };

type Entry = { element: HTMLAudioElement; analyser: AnalyserNode };

export class RemoteAudio {
  private context: AudioContext | null = null;
  private entries = new Map<string, Entry>();

  /** Opens the audio context. Call it in the click that joins: Firefox starts an AudioContext
   *  only in answer to a person's gesture, and until then its analysers read silence. */
  start(): AudioContext {
    this.context ??= new AudioContext();
    void this.context.resume().catch(() => undefined);
    return this.context;
  }

  /** Plays `stream` (sent by `senderId`); a new stream from the same sender replaces the old. */
  add(senderId: string, stream: MediaStream) {
    this.remove(senderId);
    const element = new Audio();
    element.autoplay = true;
    element.srcObject = stream;
    void element.play().catch(() => undefined);
    const context = this.start();
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    context.createMediaStreamSource(stream).connect(analyser);
    this.entries.set(senderId, { element, analyser });
  }

  remove(senderId: string) {
    const entry = this.entries.get(senderId);
    if (!entry) return;
    entry.element.srcObject = null;
    entry.analyser.disconnect();
    this.entries.delete(senderId);
  }

  /** Drops every sender not in `present`. */
  keepOnly(present: Set<string>) {
    for (const id of [...this.entries.keys()]) if (!present.has(id)) this.remove(id);
  }

  /** What each sender sounds like right now. */
  measure(): Record<string, Heard> {
    const heard: Record<string, Heard> = {};
    for (const [id, { analyser }] of this.entries) {
      const samples = new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(samples);
      const rms = Math.sqrt(samples.reduce((sum, s) => sum + s * s, 0) / samples.length);
      const spectrum = new Float32Array(analyser.frequencyBinCount);
      analyser.getFloatFrequencyData(spectrum);
      let loudest = 0;
      for (let bin = 1; bin < spectrum.length; bin++) if (spectrum[bin] > spectrum[loudest]) loudest = bin;
      const binHz = (this.context?.sampleRate ?? 48000) / analyser.fftSize;
      heard[id] = { rmsDbfs: rms > 1e-5 ? 20 * Math.log10(rms) : -100, frequency: loudest * binHz };
    }
    return heard;
  }

  /** How loud `senderId` is around `hz` right now (dB of the loudest analyser bin within
   *  ±10 Hz), or null for an unknown sender: one voice or tone apart from the others. */
  levelAt(senderId: string, hz: number): number | null {
    const entry = this.entries.get(senderId);
    if (!entry) return null;
    const spectrum = new Float32Array(entry.analyser.frequencyBinCount);
    entry.analyser.getFloatFrequencyData(spectrum);
    const binHz = (this.context?.sampleRate ?? 48000) / entry.analyser.fftSize;
    const low = Math.max(0, Math.floor((hz - 10) / binHz));
    const high = Math.min(spectrum.length - 1, Math.ceil((hz + 10) / binHz));
    let loudest = -Infinity;
    for (let bin = low; bin <= high; bin++) loudest = Math.max(loudest, spectrum[bin]);
    return Number.isFinite(loudest) ? loudest : -200;
  }

  close() {
    for (const id of [...this.entries.keys()]) this.remove(id);
    void this.context?.close();
    this.context = null;
  }
}
