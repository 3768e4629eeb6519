DROP TABLE media_renditions;
DROP TABLE media;
DROP TABLE media_blobs;
