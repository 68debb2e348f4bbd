export async function main(event: unknown) { return { statusCode: 200, body: JSON.stringify(event) }; }
