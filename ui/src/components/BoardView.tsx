import { useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  TouchSensor,
  closestCenter,
  getFirstCollision,
  pointerWithin,
  rectIntersection,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { arrayMove, sortableKeyboardCoordinates } from "@dnd-kit/sortable";
import type { Board, Card, Change, Edit, Status } from "../bindings";
import { STATUSES, cardIds, findCard } from "../board";
import { ColumnView, columnDropId } from "./ColumnView";
import { CardFace } from "./CardView";

type Props = {
  board: Board;
  highlighted: Set<string>;
  onEdit: (edit: Edit) => Promise<Change | null>;
  onOpen: (card: Card) => void;
};

type Layout = Record<Status, string[]>;

/** The pointer sensor for a mouse or pen; touch has its own press-and-hold sensor below. */
class MouseOrPenSensor extends PointerSensor {
  static activators = [
    {
      eventName: "onPointerDown" as const,
      handler: ({ nativeEvent }: ReactPointerEvent): boolean =>
        nativeEvent.isPrimary && nativeEvent.button === 0 && nativeEvent.pointerType !== "touch",
    },
  ];
}

function columnOf(layout: Layout, id: UniqueIdentifier): Status | undefined {
  const asColumn = STATUSES.find((status) => columnDropId(status) === id);
  if (asColumn) return asColumn;
  return STATUSES.find((status) => layout[status].includes(String(id)));
}

/** The four columns with drag-and-drop by pointer and keyboard (Space to lift, arrows, Space to drop). */
export function BoardView({ board, highlighted, onEdit, onOpen }: Props) {
  // While a drag is on, the cards' places follow it here; the board itself changes only when the backend agrees.
  const [draft, setDraft] = useState<Layout | null>(null);
  const [activeId, setActiveId] = useState<string | null>(null);
  const layout = draft ?? cardIds(board);
  const layoutRef = useRef(layout);
  layoutRef.current = layout;

  // Left and right jump to the top of the neighbouring column; up and down move within one.
  const coordinateGetter: KeyboardCoordinateGetter = (event, args) => {
    const step = event.code === "ArrowRight" ? 1 : event.code === "ArrowLeft" ? -1 : 0;
    if (step === 0) return sortableKeyboardCoordinates(event, args);
    const { droppableRects, collisionRect } = args.context;
    const current = columnOf(layoutRef.current, args.active);
    const next = current && STATUSES[STATUSES.indexOf(current) + step];
    const rect = next && droppableRects.get(columnDropId(next));
    if (!rect || !collisionRect) return undefined;
    event.preventDefault();
    return { x: rect.left + (rect.width - collisionRect.width) / 2, y: rect.top };
  };

  const sensors = useSensors(
    useSensor(MouseOrPenSensor, { activationConstraint: { distance: 6 } }),
    // On touch, press and hold to lift a card, so a swipe still scrolls the columns.
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter,
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    }),
  );

  // What the card is over: the item or column under the pointer (the lifted rectangle, for
  // keyboard drags); over a column, the nearest card in it. Corners alone misjudge tall columns.
  const collisionDetection: CollisionDetection = (args) => {
    const underPointer = pointerWithin(args);
    const overId = getFirstCollision(underPointer.length > 0 ? underPointer : rectIntersection(args), "id");
    if (overId == null) return [];
    const status = STATUSES.find((s) => columnDropId(s) === overId);
    if (status && layout[status].length > 0) {
      const inColumn = args.droppableContainers.filter((c) => layout[status].includes(String(c.id)));
      const nearest = closestCenter({ ...args, droppableContainers: inColumn })[0];
      if (nearest) return [nearest];
    }
    return [{ id: overId }];
  };

  const titleOf = (id: UniqueIdentifier) => findCard(board, String(id))?.title ?? "card";
  const placeOf = (id: UniqueIdentifier | undefined) => (id === undefined ? undefined : columnOf(layout, id));
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up “${titleOf(active.id)}”. Use the arrow keys to move it, Space to drop it, Escape to cancel.`,
    onDragOver: ({ active, over }) => {
      const status = placeOf(over?.id);
      return status ? `“${titleOf(active.id)}” is over ${status}.` : `“${titleOf(active.id)}” is not over a column.`;
    },
    onDragEnd: ({ active, over }) => {
      const status = placeOf(over?.id);
      return status ? `Dropped “${titleOf(active.id)}” in ${status}.` : `“${titleOf(active.id)}” was dropped back where it was.`;
    },
    onDragCancel: ({ active }) => `Moving “${titleOf(active.id)}” was cancelled; it is back where it was.`,
  };

  const onDragStart = ({ active }: DragStartEvent) => {
    setActiveId(String(active.id));
    setDraft(cardIds(board));
  };

  // Moving over another column puts the card there in the draft, so the columns open a gap for it.
  const onDragOver = ({ active, over }: DragOverEvent) => {
    if (!over || !draft) return;
    const from = columnOf(draft, active.id);
    const to = columnOf(draft, over.id);
    if (!from || !to || from === to) return;
    const target = draft[to];
    const overIndex = target.indexOf(String(over.id));
    const index = overIndex >= 0 ? overIndex : target.length;
    setDraft({
      ...draft,
      [from]: draft[from].filter((id) => id !== active.id),
      [to]: [...target.slice(0, index), String(active.id), ...target.slice(index)],
    });
  };

  const finish = () => {
    setDraft(null);
    setActiveId(null);
  };

  const onDragEnd = async ({ active, over }: DragEndEvent) => {
    const id = String(active.id);
    const original = findCard(board, id);
    if (!draft || !over || !original) return finish();
    const status = columnOf(draft, active.id);
    if (!status) return finish();
    let final = draft;
    const overIndex = draft[status].indexOf(String(over.id));
    const activeIndex = draft[status].indexOf(id);
    if (overIndex >= 0 && overIndex !== activeIndex) {
      final = { ...draft, [status]: arrayMove(draft[status], activeIndex, overIndex) };
    }
    const position = final[status].indexOf(id);
    const originalPosition = cardIds(board)[original.status].indexOf(id);
    if (status === original.status && position === originalPosition) return finish();
    setDraft(final);
    setActiveId(null);
    await onEdit({ type: "move", cardId: id, status, position });
    setDraft(null);
  };

  const active = activeId ? findCard(board, activeId) : undefined;
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisionDetection}
      // Scroll the board only when the card is held at its very edge, so a card can be
      // dropped on the next column that peeks in on a phone without overshooting it.
      autoScroll={{ threshold: { x: 0.08, y: 0.2 } }}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onDragEnd={(event) => void onDragEnd(event)}
      onDragCancel={finish}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable: "To move a card, press Space to lift it, use the arrow keys to move it between and within columns, then Space to drop it or Escape to cancel. Press Enter to open it.",
        },
      }}
    >
      <div className="board" role="region" aria-label="Kanban board">
        {board.columns.map((column) => (
          <ColumnView
            key={column.status}
            status={column.status}
            cards={layout[column.status].map((id) => findCard(board, id)).filter((c): c is Card => Boolean(c))}
            highlighted={highlighted}
            onOpen={onOpen}
            onCreate={(title) => onEdit({ type: "create", status: column.status, title, notes: "", tags: [], position: null })}
          />
        ))}
      </div>
      <DragOverlay dropAnimation={null}>{active ? <CardFace card={active} lifted /> : null}</DragOverlay>
    </DndContext>
  );
}
