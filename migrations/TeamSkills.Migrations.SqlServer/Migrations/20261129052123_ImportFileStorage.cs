using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TeamSkills.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class ImportFileStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Nothing to do: SQL Server stores varbinary(max) uncompressed unless asked (PostgreSQL's set stops it recompressing stored uploads).
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
