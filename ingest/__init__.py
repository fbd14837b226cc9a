"""Document side of gongkai: load files, classify them, parse reports and regulations into chunks and facts."""
