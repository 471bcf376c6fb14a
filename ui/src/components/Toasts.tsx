export type Toast = {
  id: number;
  tone: "info" | "error";
  message: string;
  action?: { label: string; run: () => void };
};

const LIFETIME_MS = 6000;

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss: (id: number) => void }) {
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} onDismiss={onDismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  return (
    <div
      className={`toast toast-${toast.tone}`}
      role={toast.tone === "error" ? "alert" : "status"}
      ref={(node) => {
        if (!node) return;
        const timer = setTimeout(() => onDismiss(toast.id), LIFETIME_MS);
        return () => clearTimeout(timer);
      }}
    >
      <span>{toast.message}</span>
      {toast.action && (
        <button
          className="button small"
          onClick={() => {
            toast.action!.run();
            onDismiss(toast.id);
          }}
        >
          {toast.action.label}
        </button>
      )}
      <button className="icon-button" aria-label="Dismiss" onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}
