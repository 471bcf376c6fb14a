// Errors as the words to show; kept apart from the backend calls so the participant page,
// which has no backend of its own, can use it too.
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
