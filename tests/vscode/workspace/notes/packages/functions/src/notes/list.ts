import { tableName } from "@notes/core/notes";

export async function main() {
  return { statusCode: 200, body: JSON.stringify({ table: tableName(), notes: [] }) };
}
