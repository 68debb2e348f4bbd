export async function handler(event: { id?: string }) {
  return { done: event.id ?? "none" };
}
