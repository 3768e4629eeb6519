DROP TABLE review_comments;
DROP TABLE preview_links;
DROP TABLE jobs;
