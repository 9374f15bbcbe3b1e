DROP INDEX "ix_computers_items_computers_id_itemtype";
DROP INDEX "ix_networkports_mac";
DROP INDEX "ix_softwares_entities_id_name";
DROP INDEX "ix_entities_tag";
DROP TABLE "inventory_sections";
DROP INDEX "ux_agents_deviceid";
DROP TABLE "ipaddresses";
