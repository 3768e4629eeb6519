DROP TABLE wire_imports;
