import { useState, type FormEvent, type KeyboardEvent } from "react";
import { useDroppable } from "@dnd-kit/core";
import { SortableContext, verticalListSortingStrategy } from "@dnd-kit/sortable";
import type { Card, Change, Status } from "../bindings";
import { SortableCard } from "./CardView";

export const columnDropId = (status: Status) => `column:${status}`;

const slug = (status: Status) => status.toLowerCase().replace(/\s+/g, "-");

type Props = {
  status: Status;
  cards: Card[];
  highlighted: Set<string>;
  onOpen: (card: Card) => void;
  onCreate: (title: string) => Promise<Change | null>;
};

export function ColumnView({ status, cards, highlighted, onOpen, onCreate }: Props) {
  const { setNodeRef, isOver } = useDroppable({ id: columnDropId(status) });
  const headingId = `column-${slug(status)}-heading`;
  return (
    <section className={`column column-${slug(status)}`} aria-labelledby={headingId} data-status={status}>
      <header className="column-header">
        <h2 id={headingId}>{status}</h2>
        <span className="count">
          <span aria-hidden="true">{cards.length}</span>
          <span className="visually-hidden">{cards.length} cards</span>
        </span>
      </header>
      <SortableContext id={columnDropId(status)} items={cards.map((c) => c.id)} strategy={verticalListSortingStrategy}>
        <ol ref={setNodeRef} className={`card-list${isOver ? " is-over" : ""}`}>
          {cards.map((card) => (
            <SortableCard key={card.id} card={card} highlighted={highlighted.has(card.id)} onOpen={onOpen} />
          ))}
          {cards.length === 0 && <li className="empty-column">Drop cards here</li>}
        </ol>
      </SortableContext>
      <NewCard status={status} onCreate={onCreate} />
    </section>
  );
}

function NewCard({ status, onCreate }: { status: Status; onCreate: (title: string) => Promise<Change | null> }) {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!title.trim() || busy) return;
    setBusy(true);
    const change = await onCreate(title);
    setBusy(false);
    if (change) {
      setTitle("");
      setOpen(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) void submit(event);
    if (event.key === "Escape") setOpen(false);
  };

  if (!open) {
    return (
      <button className="add-card" onClick={() => setOpen(true)}>
        + Add a card
      </button>
    );
  }
  return (
    <form className="new-card" onSubmit={(e) => void submit(e)}>
      <textarea
        autoFocus
        aria-label={`Title of the new card in ${status}`}
        placeholder="What needs doing?"
        value={title}
        maxLength={200}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={!title.trim() || busy}>
          Add card
        </button>
        <button type="button" className="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
