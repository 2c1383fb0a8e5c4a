DROP TABLE board_bans;
