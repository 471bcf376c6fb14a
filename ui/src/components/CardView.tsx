import { memo, type KeyboardEvent } from "react";
import { useSortable } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import type { Card } from "../bindings";

type Props = { card: Card; highlighted: boolean; onOpen: (card: Card) => void };

/** A card on the board. Memoized: a change to one card re-renders only that card (the
 * board keeps unchanged cards' objects as they were). */
export const SortableCard = memo(function SortableCard({ card, highlighted, onOpen }: Props) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id: card.id });
  const style = { transform: CSS.Translate.toString(transform), transition };
  // Enter opens the card; Space (handled by dnd-kit) lifts it for a keyboard drag.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "Enter" && !isDragging) {
      event.preventDefault();
      onOpen(card);
      return;
    }
    listeners?.onKeyDown?.(event);
  };
  // The list item stays a list item; the card inside it is the button a person lifts, named
  // by what it shows (title, where it is, notes, tags), so what is seen is what is heard.
  return (
    <li className="card-slot" data-card-id={card.id}>
      <div
        ref={setNodeRef}
        style={style}
        className={`card-handle${isDragging ? " is-dragging" : ""}`}
        {...attributes}
        {...listeners}
        aria-roledescription="card"
        onKeyDown={onKeyDown}
        onClick={() => onOpen(card)}
      >
        <CardFace card={card} highlighted={highlighted} />
      </div>
    </li>
  );
});

export function CardFace({ card, highlighted = false, lifted = false }: { card: Card; highlighted?: boolean; lifted?: boolean }) {
  return (
    <article className={`card${highlighted ? " is-highlighted" : ""}${lifted ? " is-lifted" : ""}`}>
      <h3 className="card-title">{card.title}</h3>
      <span className="visually-hidden">in {card.status}</span>
      {card.notes && <p className="card-notes">{card.notes}</p>}
      <footer className="card-meta">
        {card.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {card.tags.map((tag) => (
              <li key={tag} className="tag">
                {tag}
              </li>
            ))}
          </ul>
        )}
        <span className="card-id">{card.id}</span>
      </footer>
    </article>
  );
}
