import { tableName } from "@notes/core/notes";

export const main = async (event: { pathParameters?: { id?: string } }) => {
  const id = event.pathParameters?.id;
  if (!id) return { statusCode: 400, body: "missing id" };
  return { statusCode: 200, body: JSON.stringify({ table: tableName(), id }) };
};
