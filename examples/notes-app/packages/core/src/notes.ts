export interface Note {
  userId: string;
  noteId: string;
  content: string;
  createdAt: number;
}

export function parseNote(body: string | undefined): Pick<Note, "content"> {
  const data = JSON.parse(body ?? "{}");
  return { content: String(data.content ?? "") };
}
