import { Table } from "sst/node/table";

export interface Note {
  userId: string;
  noteId: string;
  content: string;
}

export function tableName(): string {
  return Table.Notes.tableName;
}
