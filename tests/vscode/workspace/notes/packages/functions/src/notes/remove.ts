export async function main(event: { pathParameters?: { id?: string } }) {
  return { statusCode: 204, body: event.pathParameters?.id ?? "" };
}
