export async function up() {}
