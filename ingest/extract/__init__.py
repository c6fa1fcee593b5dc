"""Page to clean text: trafilatura and metadata (`page`), wirefeed's cleaning (`clean`, `teaser`,
`boilerplate`) and the process pool that runs it on every core (`pool`)."""
