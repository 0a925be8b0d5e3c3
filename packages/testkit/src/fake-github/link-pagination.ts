/**
 * GitHub's page-based pagination: `per_page` (default 30, at most 100) and `page`, with a
 * `link` header naming the next, last, first and previous pages by absolute URL.
 */
export function paginate(
  items: readonly unknown[],
  requestUrl: URL,
  baseUrl: string,
): { page: unknown[]; link: string | null } {
  const perPage = Math.min(100, Math.max(1, Number(requestUrl.searchParams.get('per_page') ?? 30) || 30));
  const pageNumber = Math.max(1, Number(requestUrl.searchParams.get('page') ?? 1) || 1);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const urlFor = (number: number) => {
    const url = new URL(`${baseUrl}${requestUrl.pathname}${requestUrl.search}`);
    url.searchParams.set('page', String(number));
    return url.href;
  };
  const links: string[] = [];
  if (pageNumber < lastPage) {
    links.push(`<${urlFor(pageNumber + 1)}>; rel="next"`, `<${urlFor(lastPage)}>; rel="last"`);
  }
  if (pageNumber > 1) {
    links.push(`<${urlFor(1)}>; rel="first"`, `<${urlFor(Math.min(pageNumber - 1, lastPage))}>; rel="prev"`);
  }
  return { page, link: links.length > 0 ? links.join(', ') : null };
}
