import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { LevelStore, LevelsContext, useMeter } from "./levels";

describe("live levels", () => {
  it("an update re-renders only the meters whose reading changed", () => {
    const store = new LevelStore();
    const renders = { board: 0, a: 0, b: 0 };
    function Board() {
      renders.board += 1;
      return null;
    }
    function Meter({ id }: { id: "a" | "b" }) {
      renders[id] += 1;
      const reading = useMeter(id);
      return <span data-testid={id}>{`${reading.percent}${reading.speaking ? " speaking" : ""}`}</span>;
    }
    render(
      <LevelsContext.Provider value={store}>
        <Board />
        <Meter id="a" />
        <Meter id="b" />
      </LevelsContext.Provider>,
    );
    const quiet = { rmsDbfs: -100, peakDbfs: -100, speaking: false };
    act(() => store.set({ a: { rmsDbfs: -30, peakDbfs: -20, speaking: true }, b: quiet }));
    expect(screen.getByTestId("a").textContent).toBe("50 speaking");
    expect(screen.getByTestId("b").textContent).toBe("0");
    expect(renders).toEqual({ board: 1, a: 2, b: 1 });
    // Ten updates a second with the same readings (new objects each time) re-render nothing.
    for (let i = 0; i < 10; i++) {
      act(() => store.set({ a: { rmsDbfs: -30.1, peakDbfs: -20, speaking: true }, b: { ...quiet } }));
    }
    expect(renders).toEqual({ board: 1, a: 2, b: 1 });
  });
});
