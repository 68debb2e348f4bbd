export async function handler() {
  return "ok";
}
