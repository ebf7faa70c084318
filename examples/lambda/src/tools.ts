/** A tiny in-memory "search the docs" tool, standing in for a vector store or an HTTP API. */
const DOCS: Record<string, string> = {
  refund: 'Refunds are issued within 5 business days to the original payment method.',
  shipping: 'Orders ship within 24 hours; priority delivery takes 1-2 days.',
  password: 'Reset your password from Settings > Security > Reset password.',
};

export async function searchDocs(query: string): Promise<{ topic: string; text: string }[]> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const q = query.toLowerCase();
  return Object.entries(DOCS)
    .filter(([topic]) => q.includes(topic))
    .map(([topic, text]) => ({ topic, text }));
}
