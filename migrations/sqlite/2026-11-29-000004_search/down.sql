DROP TABLE release_search;
