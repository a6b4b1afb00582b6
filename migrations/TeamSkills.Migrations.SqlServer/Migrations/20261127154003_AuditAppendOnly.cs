using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TeamSkills.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class AuditAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Append-only at the database, as SQLite's Initial has it: an UPDATE or DELETE on audit entries aborts
            // (THROW inside the trigger rolls the statement's transaction back). TRUNCATE needs ALTER on the table,
            // which the app's login should not have.
            migrationBuilder.Sql("""
                CREATE TRIGGER audit_entries_append_only ON audit_entries AFTER UPDATE, DELETE AS
                BEGIN
                    SET NOCOUNT ON;
                    IF EXISTS (SELECT 1 FROM deleted) THROW 50000, N'audit entries are append-only', 1;
                END
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS audit_entries_append_only;");
        }
    }
}
